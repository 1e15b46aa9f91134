// Routes of the console. Screens load on demand, so the first page pulls only its own code.
import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useHref, useNavigate, type NavigateOptions } from 'react-router';
import { RouterProvider } from 'react-aria-components';
import { ErrorMessage, Loading } from '../components/ui';
import { Layout } from './Layout';
import { SessionProvider, useSessionQuery } from './session';
import { SignInScreen } from '../screens/sign-in/SignInScreen';

declare module 'react-aria-components' {
  interface RouterConfig {
    routerOptions: NavigateOptions;
  }
}

const NotificationsScreen = lazy(() => import('../screens/notifications/NotificationsScreen'));
const ContactFormScreen = lazy(() => import('../screens/contact-form/ContactFormScreen'));
const ContactsScreen = lazy(() => import('../screens/contacts/ContactsScreen'));
const ContactScreen = lazy(() => import('../screens/contact/ContactScreen'));
const ChatScreen = lazy(() => import('../screens/chat/ChatScreen'));
const WorkOrderScreen = lazy(() => import('../screens/work-order/WorkOrderScreen'));
const MailboxesScreen = lazy(() => import('../screens/mailboxes/MailboxesScreen'));
const CompanySettingsScreen = lazy(() => import('../screens/company-settings/CompanySettingsScreen'));
const UsersScreen = lazy(() => import('../screens/users/UsersScreen'));
const UpcomingScreen = lazy(() => import('../screens/upcoming/UpcomingScreen'));

export const NOTIFICATIONS_PATH = '/settings/notifications/contacts';

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
        <SignInScreen />
      ) : (
        <SessionProvider value={session.data}>
          <Layout>
            <Suspense fallback={<Loading />}>
              <Routes>
                <Route path="/" element={<Navigate to={NOTIFICATIONS_PATH} replace />} />
                <Route path={NOTIFICATIONS_PATH} element={<NotificationsScreen />} />
                <Route path="/settings/notifications/upcoming" element={<UpcomingScreen />} />
                <Route path="/settings/contact-form" element={<ContactFormScreen />} />
                <Route path="/settings/company" element={<CompanySettingsScreen />} />
                <Route path="/settings/mailboxes" element={<MailboxesScreen />} />
                <Route path="/settings/users" element={<UsersScreen />} />
                <Route path="/contacts" element={<ContactsScreen />} />
                <Route path="/contacts/:id" element={<ContactScreen />} />
                <Route path="/chats/:id" element={<ChatScreen />} />
                <Route path="/work-orders/:id" element={<WorkOrderScreen />} />
                <Route path="*" element={<h1>Page not found</h1>} />
              </Routes>
            </Suspense>
          </Layout>
        </SessionProvider>
      )}
    </RouterProvider>
  );
}
