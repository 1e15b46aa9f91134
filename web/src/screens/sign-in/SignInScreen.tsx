// Sign in: the API key is sent once (as Bearer) and exchanged for an HttpOnly session cookie; the
// console never stores the key.
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, setCsrfToken, unwrap } from '../../api/client';
import { SESSION_KEY } from '../../app/session';
import { ApiForm, TextInput } from '../../components/fields';
import { Button, ErrorMessage } from '../../components/ui';

export default function SignInScreen() {
  const [apiKey, setApiKey] = useState('');
  const queryClient = useQueryClient();
  const signIn = useMutation({
    mutationFn: async (key: string) =>
      unwrap(api.POST('/v1/session', { headers: { Authorization: `Bearer ${key.trim()}` } })),
    onSuccess: async (session) => {
      setCsrfToken(session.csrfToken);
      setApiKey('');
      await queryClient.invalidateQueries({ queryKey: SESSION_KEY });
    },
  });
  const rejected = signIn.error instanceof ApiError && signIn.error.status === 401;
  return (
    <main className="sign-in">
      <div className="card">
        <h1>Sign in</h1>
        <p className="muted">
          Contact event reminders — admin console. Sign in with your API key (the one <code>npm start</code> printed on
          its first start, or one an admin created for you).
        </p>
        <ApiForm
          onSubmit={(e) => {
            e.preventDefault();
            signIn.mutate(apiKey);
          }}
          errors={rejected ? { apiKey: 'This API key is not valid' } : {}}
        >
          <TextInput
            label="API key"
            name="apiKey"
            type="password"
            autoComplete="current-password"
            value={apiKey}
            onChange={setApiKey}
            isRequired
            autoFocus
            placeholder="crk_…"
          />
          {!rejected && <ErrorMessage error={signIn.error} />}
          <Button type="submit" variant="primary" isDisabled={signIn.isPending || apiKey.trim() === ''}>
            Sign in
          </Button>
        </ApiForm>
      </div>
    </main>
  );
}
