import { startTransition, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter } from 'react-router';
import { App, preloadScreen } from './app/App';
import { queryClient } from './app/query-client';
import './styles.css';

preloadScreen(window.location.pathname);

// The first render as a transition: React yields to the browser every few milliseconds instead of
// holding the main thread for the whole tree (a slow phone stays responsive while it starts).
const root = createRoot(document.getElementById('root')!);
startTransition(() =>
  root.render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </StrictMode>,
  ),
);
