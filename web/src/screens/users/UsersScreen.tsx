// Settings › Users: who uses the CRM; admins add users, each with an API key shown once.
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { keys, useUsers } from '../../api/queries';
import { useMe } from '../../app/session';
import { ApiForm, CheckboxInput, TextInput } from '../../components/fields';
import { AdminOnlyNote, Button, ErrorMessage, Loading, Page } from '../../components/ui';

export default function UsersScreen() {
  const users = useUsers();
  const me = useMe();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ name: '', email: '', isAdmin: false });
  const add = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/users', { body: form })),
    onSuccess: async () => {
      setForm({ name: '', email: '', isAdmin: false });
      await queryClient.invalidateQueries({ queryKey: keys.users });
    },
  });
  const errors = add.error instanceof ApiError ? add.error.fieldErrors() : {};
  return (
    <Page title="Users" trail={[{ label: 'Settings' }, { label: 'Users' }]}>
      <section className="panel" aria-labelledby="users">
        <h2 id="users">Users of {me.company.name}</h2>
        {users.isPending ? (
          <Loading what="users" />
        ) : users.isError ? (
          <ErrorMessage error={users.error} />
        ) : (
          <table>
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id}>
                  <th scope="row">{u.name}</th>
                  <td>{u.email}</td>
                  <td>{u.isAdmin ? 'Admin' : 'User'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel" aria-labelledby="add-user">
        <h2 id="add-user">Add a user</h2>
        <ApiForm
          className="grid-form"
          errors={errors}
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate();
          }}
        >
          <TextInput
            label="Name"
            name="name"
            value={form.name}
            onChange={(name) => setForm((f) => ({ ...f, name }))}
            isRequired
            isDisabled={!me.isAdmin}
          />
          <TextInput
            label="Email"
            name="email"
            type="email"
            value={form.email}
            onChange={(email) => setForm((f) => ({ ...f, email }))}
            isRequired
            isDisabled={!me.isAdmin}
          />
          <CheckboxInput
            value={form.isAdmin}
            onChange={(isAdmin) => setForm((f) => ({ ...f, isAdmin }))}
            isDisabled={!me.isAdmin}
          >
            Admin
          </CheckboxInput>
          <div>
            <Button type="submit" variant="primary" isDisabled={!me.isAdmin || add.isPending}>
              Add user
            </Button>
          </div>
        </ApiForm>
        <AdminOnlyNote isAdmin={me.isAdmin} what="add users" />
        {add.error && Object.keys(errors).length === 0 && <ErrorMessage error={add.error} title="Not added" />}
        {add.data && (
          <div className="note" role="status">
            <p>
              {add.data.name}’s API key (shown once, hand it over safely): <code>{add.data.apiKey}</code>
            </p>
          </div>
        )}
      </section>
    </Page>
  );
}
