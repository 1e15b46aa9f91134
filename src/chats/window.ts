// When a chat may carry a reminder: a channel accepts free-form messages only for a while after the
// client's last message (Twilio WhatsApp: 24 h; Instagram: 7 days — company settings).

export type ChatChannelName = 'whatsapp' | 'instagram';

export interface ChatWindows {
  whatsappWindowHours: number;
  instagramWindowHours: number;
}

const HOUR_MS = 3_600_000;

/** The instant the chat's window closes, or null when the client never wrote. */
export function windowOpenUntil(
  chat: { channel: ChatChannelName; lastInboundAt: Date | null },
  windows: ChatWindows,
): Date | null {
  if (!chat.lastInboundAt) return null;
  const hours = chat.channel === 'whatsapp' ? windows.whatsappWindowHours : windows.instagramWindowHours;
  return new Date(chat.lastInboundAt.getTime() + hours * HOUR_MS);
}

/** Whether the chat's window is open at `at`. */
export function isWindowOpen(
  chat: { channel: ChatChannelName; lastInboundAt: Date | null },
  windows: ChatWindows,
  at: Date,
): boolean {
  const until = windowOpenUntil(chat, windows);
  return until !== null && at.getTime() <= until.getTime();
}
