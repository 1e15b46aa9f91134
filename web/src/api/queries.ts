// Reads several screens share, with their cache keys (mutations invalidate by these keys).
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client';
import type { ContactKind } from './types';

export const keys = {
  company: ['company'] as const,
  rules: (kind: ContactKind) => ['rules', kind] as const,
  allRules: ['rules'] as const,
  events: (kind: ContactKind) => ['events', kind] as const,
  fields: ['contact-fields'] as const,
  mailboxes: ['mailboxes'] as const,
  senders: ['email-senders'] as const,
  users: ['users'] as const,
  apiKeys: ['api-keys'] as const,
  channels: ['channel-connections'] as const,
  contacts: (kind: ContactKind, q: string) => ['contacts', kind, q] as const,
  contact: (id: string) => ['contact', id] as const,
  allContacts: ['contacts'] as const,
};

export function useCompany() {
  return useQuery({ queryKey: keys.company, queryFn: () => unwrap(api.GET('/v1/company')) });
}

export function useMailboxes() {
  return useQuery({ queryKey: keys.mailboxes, queryFn: () => unwrap(api.GET('/v1/mailboxes')) });
}

export function useUsers() {
  return useQuery({ queryKey: keys.users, queryFn: () => unwrap(api.GET('/v1/users')) });
}

export function useContactFields() {
  return useQuery({ queryKey: keys.fields, queryFn: () => unwrap(api.GET('/v1/contact-fields')) });
}

export function useContacts(kind: ContactKind, q: string) {
  return useQuery({
    queryKey: keys.contacts(kind, q),
    queryFn: () => unwrap(api.GET('/v1/contacts', { params: { query: { kind, ...(q ? { q } : {}), limit: 50 } } })),
    placeholderData: (previous) => previous,
  });
}

export const KIND_TITLES: Record<ContactKind, { section: string; plural: string; singular: string }> = {
  person: { section: 'For People', plural: 'People', singular: 'person' },
  organization: { section: 'For Organizations', plural: 'Organizations', singular: 'organization' },
};
