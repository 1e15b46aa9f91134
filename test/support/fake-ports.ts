// In-memory provider adapters for workflow tests that are about timing and the ledger, not
// about the providers (those have their own tests against Prism and a real SMTP server).
import type { DeliveryPorts } from '../../src/activities';

export interface SentMessage {
  via: 'sms' | 'whatsapp' | 'instagram' | 'email';
  to: string;
  body: string;
}

export function recordingPorts(): { ports: DeliveryPorts; sent: SentMessage[] } {
  const sent: SentMessage[] = [];
  let n = 0;
  const id = () => `fake-${++n}`;
  return {
    sent,
    ports: {
      sms: {
        sendSms: async (m) => (
          sent.push({ via: 'sms', to: m.to, body: m.body }),
          { providerMessageId: id(), status: 'queued' }
        ),
      },
      whatsapp: {
        sendWhatsApp: async (m) => (
          sent.push({ via: 'whatsapp', to: m.to, body: m.body }),
          { providerMessageId: id(), status: 'queued' }
        ),
      },
      instagram: {
        sendInstagram: async (m) => (
          sent.push({ via: 'instagram', to: m.recipientId, body: m.text }),
          { providerMessageId: id() }
        ),
      },
      email: {
        sendEmail: async (m) => (
          sent.push({ via: 'email', to: m.to, body: m.text }),
          { providerMessageId: m.messageId, accepted: true }
        ),
      },
    },
  };
}
