// Routes of the console. Screens load on demand, so the first page pulls only its own code.
import { lazy, Suspense, type ComponentType } from 'react';
import { matchPath, Navigate, Route, Routes, useHref, useNavigate, type NavigateOptions } from 'react-router';
import { RouterProvider } from 'react-aria-components';
import { ErrorMessage, Loading } from '../components/ui';
import { Layout } from './Layout';
import { SessionProvider, useSessionQuery } from './session';

declare module 'react-aria-components' {
  interface RouterConfig {
    routerOptions: NavigateOptions;
  }
}

/** A screen loaded on demand; `preload` fetches its code ahead of the first render. */
function screen(load: () => Promise<{ default: ComponentType }>) {
  return { Component: lazy(load), preload: load };
}

// Sign-in too: its form fields (React Aria's select, combobox, number field) are not needed by a
// signed-in first page, so they stay out of the entry chunk.
const signIn = screen(() => import('../screens/sign-in/SignInScreen'));

export const NOTIFICATIONS_PATH = '/settings/notifications/contacts';

const SCREENS = [
  { path: NOTIFICATIONS_PATH, ...screen(() => import('../screens/notifications/NotificationsScreen')) },
  { path: '/settings/notifications/upcoming', ...screen(() => import('../screens/upcoming/UpcomingScreen')) },
  { path: '/settings/contact-form', ...screen(() => import('../screens/contact-form/ContactFormScreen')) },
  { path: '/settings/company', ...screen(() => import('../screens/company-settings/CompanySettingsScreen')) },
  { path: '/settings/mailboxes', ...screen(() => import('../screens/mailboxes/MailboxesScreen')) },
  { path: '/settings/users', ...screen(() => import('../screens/users/UsersScreen')) },
  { path: '/settings/api-keys', ...screen(() => import('../screens/api-keys/ApiKeysScreen')) },
  { path: '/settings/channels', ...screen(() => import('../screens/channels/ChannelsScreen')) },
  { path: '/contacts', ...screen(() => import('../screens/contacts/ContactsScreen')) },
  { path: '/contacts/:id', ...screen(() => import('../screens/contact/ContactScreen')) },
  { path: '/chats/:id', ...screen(() => import('../screens/chat/ChatScreen')) },
  { path: '/work-orders/:id', ...screen(() => import('../screens/work-order/WorkOrderScreen')) },
];

/** The code of the screen at `pathname` (or of sign-in) starts loading while the session is read,
 * instead of after it: one round trip less before the first page shows. */
export function preloadScreen(pathname: string): void {
  const target = pathname === '/' ? NOTIFICATIONS_PATH : pathname;
  void (SCREENS.find((s) => matchPath(s.path, target)) ?? signIn).preload();
}

export function App() {
  const navigate = useNavigate();
  const session = useSessionQuery();
  return (
    <RouterProvider navigate={(to, options) => void navigate(to, options)} useHref={useHref}>
      {session.isPending ? (
        <Loading />
      ) : session.isError ? (
        <main className="center">
          <ErrorMessage error={session.error} title="The console cannot reach the service" />
        </main>
      ) : !session.data ? (
        <Suspense fallback={<Loading />}>
          <signIn.Component />
        </Suspense>
      ) : (
        <SessionProvider value={session.data}>
          <Layout>
            <Suspense fallback={<Loading />}>
              <Routes>
                <Route path="/" element={<Navigate to={NOTIFICATIONS_PATH} replace />} />
                {SCREENS.map(({ path, Component }) => (
                  <Route key={path} path={path} element={<Component />} />
                ))}
                <Route path="*" element={<h1>Page not found</h1>} />
              </Routes>
            </Suspense>
          </Layout>
        </SessionProvider>
      )}
    </RouterProvider>
  );
}
