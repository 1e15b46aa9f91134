// Settings › API keys: the keys that call the API for a user (a script, the CRM's sync), their last
// use, a new key shown once, and revoking one. Users manage their own keys; admins everyone's.
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { keys, useUsers } from '../../api/queries';
import type { ApiKey, CreatedApiKey } from '../../api/types';
import { useMe } from '../../app/session';
import { ApiForm, SelectInput, TextInput } from '../../components/fields';
import { dateTime } from '../../components/format';
import { Button, ErrorMessage, Loading, ModalDialog, Page } from '../../components/ui';

export default function ApiKeysScreen() {
  const me = useMe();
  const list = useQuery({ queryKey: keys.apiKeys, queryFn: () => unwrap(api.GET('/v1/api-keys')) });
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  return (
    <Page
      title="API keys"
      trail={[{ label: 'Settings' }, { label: 'API keys' }]}
      actions={
        <Button variant="primary" onPress={() => setCreating(true)}>
          Create key
        </Button>
      }
    >
      <p className="lead">
        A key signs a script or another system in to the API as its user.{' '}
        {me.isAdmin
          ? 'As an admin you see and manage the keys of every user.'
          : 'You see and manage your own keys; only admins can manage the keys of other users.'}{' '}
        To rotate a key, create a new one, switch over, then revoke the old one once its last use stops moving.
      </p>
      <section className="panel" aria-labelledby="keys">
        <h2 id="keys">Active keys</h2>
        {list.isPending ? (
          <Loading what="API keys" />
        ) : list.isError ? (
          <ErrorMessage error={list.error} />
        ) : list.data.items.length === 0 ? (
          <p className="muted">No active keys.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Active API keys</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Label</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((k) => (
                  <tr key={k.id}>
                    <th scope="row">
                      <code>{k.prefix}…</code>
                    </th>
                    <td>{k.label ?? <span className="muted">—</span>}</td>
                    <td>{k.userName}</td>
                    <td>{dateTime(k.createdAt)}</td>
                    <td>{k.lastUsedAt ? dateTime(k.lastUsedAt) : <span className="muted">never</span>}</td>
                    <td className="row-actions">
                      <Button variant="quiet" onPress={() => setRevoking(k)} aria-label={`Revoke ${k.prefix}`}>
                        Revoke
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {creating && <CreateKeyDialog onClose={() => setCreating(false)} />}
      {revoking && <RevokeKeyDialog apiKey={revoking} onClose={() => setRevoking(null)} />}
    </Page>
  );
}

function CreateKeyDialog(props: { onClose: () => void }) {
  const me = useMe();
  const users = useUsers();
  const queryClient = useQueryClient();
  const [label, setLabel] = useState('');
  const [userId, setUserId] = useState(me.id);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/api-keys', {
          body: { ...(label.trim() ? { label: label.trim() } : {}), ...(userId !== me.id ? { userId } : {}) },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.apiKeys }),
  });
  const errors = create.error instanceof ApiError ? create.error.fieldErrors() : {};
  const owners = me.isAdmin ? (users.data?.items ?? []) : [{ id: me.id, name: me.name, email: me.email }];
  return (
    <ModalDialog
      title={create.data ? 'Your new API key' : 'Create an API key'}
      isOpen
      onOpenChange={(open) => !open && props.onClose()}
    >
      {(close) =>
        create.data ? (
          <ShownOnce created={create.data} onDone={close} />
        ) : (
          <ApiForm
            errors={errors}
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate();
            }}
          >
            <TextInput
              label="Label"
              name="label"
              value={label}
              onChange={setLabel}
              description="What the key is for, e.g. “CRM sync”."
              autoFocus
            />
            <SelectInput
              label="Owner"
              name="userId"
              value={userId}
              onChange={setUserId}
              options={owners.map((u) => ({ id: u.id, label: `${u.name} (${u.email})` }))}
              isDisabled={!me.isAdmin}
              description={
                me.isAdmin
                  ? 'The key acts as this user, with their role.'
                  : 'Only admins can create API keys for other users.'
              }
            />
            {create.error && Object.keys(errors).length === 0 && (
              <ErrorMessage error={create.error} title="Not created" />
            )}
            <div className="dialog-actions">
              <span className="spacer" />
              <Button onPress={close}>Cancel</Button>
              <Button type="submit" variant="primary" isDisabled={create.isPending}>
                Create key
              </Button>
            </div>
          </ApiForm>
        )
      }
    </ModalDialog>
  );
}

/** The new key, once: with a copy button, and said plainly that it will not be shown again. */
function ShownOnce(props: { created: CreatedApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(props.created.key).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  return (
    <>
      <div className="note" role="status">
        <p>
          Copy this key now: <strong>you will not see it again.</strong> It signs in as {props.created.userName}
          {props.created.label ? ` (${props.created.label})` : ''}.
        </p>
        <p>
          <code className="secret">{props.created.key}</code>
        </p>
      </div>
      <div className="dialog-actions">
        <Button onPress={() => void copy()}>Copy key</Button>
        <span className="muted small" aria-live="polite">
          {copied === 'yes'
            ? 'Copied.'
            : copied === 'failed'
              ? 'The browser did not allow copying; select the key.'
              : ''}
        </span>
        <span className="spacer" />
        <Button variant="primary" onPress={props.onDone}>
          Done
        </Button>
      </div>
    </>
  );
}

function RevokeKeyDialog(props: { apiKey: ApiKey; onClose: () => void }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => unwrap(api.DELETE('/v1/api-keys/{id}', { params: { path: { id: props.apiKey.id } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.apiKeys });
      props.onClose();
    },
  });
  return (
    <ModalDialog title={`Revoke ${props.apiKey.prefix}…?`} isOpen onOpenChange={(open) => !open && props.onClose()}>
      {(close) => (
        <>
          <p>
            {props.apiKey.label ? `“${props.apiKey.label}” of ` : 'The key of '}
            {props.apiKey.userName} stops working at once: whatever still uses it is refused from its next request.
          </p>
          <ErrorMessage error={revoke.error} title="Not revoked" />
          <div className="dialog-actions">
            <span className="spacer" />
            <Button onPress={close}>Cancel</Button>
            <Button variant="danger" onPress={() => revoke.mutate()} isDisabled={revoke.isPending}>
              Revoke key
            </Button>
          </div>
        </>
      )}
    </ModalDialog>
  );
}
