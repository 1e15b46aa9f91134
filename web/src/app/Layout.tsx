// The frame around every screen: who is signed in, sign out, and the navigation.
import type { ReactNode } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { NavLink, useNavigate } from 'react-router';
import { api, setCsrfToken, unwrap } from '../api/client';
import { Button } from '../components/ui';
import { SESSION_KEY, useMe } from './session';

const NAV: Array<{ to: string; label: string }> = [
  { to: '/settings/notifications/contacts', label: 'External notifications' },
  { to: '/settings/notifications/upcoming', label: 'Upcoming' },
  { to: '/contacts?kind=person', label: 'Contacts' },
  { to: '/settings/contact-form', label: 'Contact form' },
  { to: '/settings/mailboxes', label: 'Mailboxes' },
  { to: '/settings/channels', label: 'Channels' },
  { to: '/settings/users', label: 'Users' },
  { to: '/settings/api-keys', label: 'API keys' },
  { to: '/settings/company', label: 'Company settings' },
];

export function Layout(props: { children: ReactNode }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = useMutation({
    mutationFn: () => unwrap(api.DELETE('/v1/session')),
    onSuccess: () => {
      setCsrfToken(undefined);
      queryClient.clear();
      queryClient.setQueryData(SESSION_KEY, null);
      void navigate('/');
    },
  });
  return (
    <div className="shell">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">{me.company.name}</span>
        <span className="who">
          {me.name} <span className="badge">{me.isAdmin ? 'Admin' : 'User'}</span>
        </span>
        <Button variant="quiet" onPress={() => signOut.mutate()} isDisabled={signOut.isPending}>
          Sign out
        </Button>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {NAV.map((item) => (
            <li key={item.to}>
              <NavLink to={item.to}>{item.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="content" className="content" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}
