// An activity feed (contact or work order): each outcome with its reason; a chat send shows the
// channel name, which opens the chat.
import { Link } from 'react-aria-components';
import type { ActivityEntry } from '../api/types';
import { channelName, dateTime, reasonText } from './format';

const OUTCOMES: Record<string, string> = {
  'notification.sent': 'Sent',
  'notification.skipped': 'Skipped',
  'notification.failed': 'Failed',
};

export function Feed(props: { entries: ActivityEntry[]; empty: string }) {
  if (props.entries.length === 0) return <p className="muted">{props.empty}</p>;
  return (
    <ol className="feed">
      {props.entries.map((entry) => {
        const outcome = OUTCOMES[entry.kind];
        return (
          <li key={entry.id} className={`feed-entry ${entry.kind.replace('.', '-')}`}>
            <div className="feed-meta">
              <time dateTime={entry.createdAt}>{dateTime(entry.createdAt)}</time>
              {outcome && <span className={`badge outcome-${outcome.toLowerCase()}`}>{outcome}</span>}
              {entry.channel &&
                (entry.chatId ? (
                  <Link href={`/chats/${entry.chatId}`} aria-label={`${channelName(entry.channel)} (open the chat)`}>
                    {channelName(entry.channel)}
                  </Link>
                ) : (
                  <span>{channelName(entry.channel)}</span>
                ))}
              {entry.sender && <span className="muted">from {entry.sender}</span>}
            </div>
            <p>{entry.text}</p>
          </li>
        );
      })}
    </ol>
  );
}

export { reasonText };
