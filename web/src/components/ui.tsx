// Building blocks shared by the screens: page frame with breadcrumbs, modal dialog, buttons,
// loading and error states. Dialogs, focus handling and links come from React Aria Components.
import type { ReactNode } from 'react';
import {
  Breadcrumb,
  Breadcrumbs,
  Button as AriaButton,
  Dialog,
  Heading,
  Link,
  Modal,
  ModalOverlay,
  type ButtonProps,
} from 'react-aria-components';
import { ApiError } from '../api/client';

export function Page(props: {
  title: string;
  trail?: Array<{ label: string; href?: string }>;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <>
      {props.trail && (
        <Breadcrumbs className="breadcrumbs" aria-label="Breadcrumbs">
          {props.trail.map((crumb) => (
            <Breadcrumb key={crumb.label}>
              {crumb.href ? <Link href={crumb.href}>{crumb.label}</Link> : crumb.label}
            </Breadcrumb>
          ))}
        </Breadcrumbs>
      )}
      <div className="page-head">
        <h1>{props.title}</h1>
        {props.actions && <div className="actions">{props.actions}</div>}
      </div>
      {props.children}
    </>
  );
}

export function Button(props: ButtonProps & { variant?: 'primary' | 'secondary' | 'danger' | 'quiet' }) {
  const { variant = 'secondary', className, ...rest } = props;
  return <AriaButton {...rest} className={`button ${variant} ${typeof className === 'string' ? className : ''}`} />;
}

/** A modal dialog; `close` hands the dialog's close function to the content. */
export function ModalDialog(props: {
  title: string;
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  wide?: boolean;
  children: (close: () => void) => ReactNode;
}) {
  return (
    <ModalOverlay className="overlay" isOpen={props.isOpen} onOpenChange={props.onOpenChange} isDismissable>
      <Modal className={props.wide ? 'modal wide' : 'modal'}>
        <Dialog className="dialog">
          {({ close }) => (
            <>
              <Heading slot="title">{props.title}</Heading>
              {props.children(close)}
            </>
          )}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <p className="muted" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

/** An error the API answered, in words (its message), announced to screen readers. */
export function ErrorMessage(props: { error: unknown; title?: string }) {
  if (!props.error) return null;
  const message =
    props.error instanceof ApiError || props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <div className="error-box" role="alert">
      {props.title && <strong>{props.title}: </strong>}
      {message}
    </div>
  );
}

/** A control only admins may use: disabled for others, with the reason beside it. */
export function AdminOnlyNote(props: { isAdmin: boolean; what: string }) {
  if (props.isAdmin) return null;
  return <p className="muted small">Only admins can {props.what}.</p>;
}
