// Upcoming: every send due in the next 7 or 30 days across the company (the reminders' next sends),
// filterable by rule, each linked to its reminder in the Temporal UI; and per rule a chart of its
// outcomes per day over the last 30 days, from the delivery ledger.
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-aria-components';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/queries';
import type { Rule, RuleStats } from '../../api/types';
import { RadioInput, SelectInput } from '../../components/fields';
import { channelName, localWallClock, utcTime } from '../../components/format';
import { ErrorMessage, Loading, Page } from '../../components/ui';

const ALL_RULES = 'all';

export default function UpcomingScreen() {
  const [days, setDays] = useState<'7' | '30'>('7');
  const [ruleId, setRuleId] = useState(ALL_RULES);
  const rules = useQuery({
    queryKey: keys.allRules,
    queryFn: () => unwrap(api.GET('/v1/notification-rules', { params: { query: { limit: 200 } } })),
  });
  const upcoming = useQuery({
    queryKey: ['upcoming-sends', days, ruleId],
    queryFn: () =>
      unwrap(
        api.GET('/v1/upcoming-sends', {
          params: { query: { days, ...(ruleId === ALL_RULES ? {} : { ruleId }) } },
        }),
      ),
    placeholderData: (previous) => previous,
  });
  const shownRules = (rules.data?.items ?? []).filter((r) => ruleId === ALL_RULES || r.id === ruleId);
  return (
    <Page title="Upcoming" trail={[{ label: 'Settings' }, { label: 'External notifications' }, { label: 'Upcoming' }]}>
      <p className="lead">Every notification due soon, from the reminders’ plans, and how each notification fared.</p>
      <div className="filters">
        <RadioInput
          label="Due within"
          value={days}
          onChange={(v) => setDays(v as '7' | '30')}
          options={[
            { id: '7', label: 'Next 7 days' },
            { id: '30', label: 'Next 30 days' },
          ]}
        />
        <SelectInput
          label="Notification"
          value={ruleId}
          onChange={setRuleId}
          options={[
            { id: ALL_RULES, label: 'All notifications' },
            ...(rules.data?.items ?? []).map((r) => ({ id: r.id, label: r.name })),
          ]}
        />
      </div>
      <section className="panel" aria-labelledby="upcoming-sends">
        <h2 id="upcoming-sends">Sends due in the next {days} days</h2>
        {upcoming.isPending ? (
          <Loading what="upcoming sends" />
        ) : upcoming.isError ? (
          <ErrorMessage error={upcoming.error} />
        ) : upcoming.data.items.length === 0 ? (
          <p className="muted">Nothing is due in the next {days} days.</p>
        ) : (
          <>
            <p className="muted small" role="status">
              {upcoming.data.total} send{upcoming.data.total === 1 ? '' : 's'}
              {upcoming.data.total > upcoming.data.items.length
                ? `; the first ${upcoming.data.items.length} are listed`
                : ''}
              .
            </p>
            <table>
              <caption className="visually-hidden">Sends due in the next {days} days</caption>
              <thead>
                <tr>
                  <th scope="col">Contact</th>
                  <th scope="col">Notification</th>
                  <th scope="col">Event date</th>
                  <th scope="col">Sends at ({upcoming.data.timeZone})</th>
                  <th scope="col">UTC</th>
                  <th scope="col">Reminder</th>
                </tr>
              </thead>
              <tbody>
                {upcoming.data.items.map((s) => (
                  <tr key={s.workflowId}>
                    <th scope="row">
                      <Link href={`/contacts/${s.contactId}`}>{s.contactName}</Link>
                    </th>
                    <td>
                      {s.ruleName} <span className="muted small">({channelName(s.channel)})</span>
                    </td>
                    <td>
                      {s.eventLabel} {s.occurrenceDate}
                      {s.replanPending ? <span className="muted small"> (re-planning after a change)</span> : null}
                    </td>
                    <td>{localWallClock(s.sendAtLocal)}</td>
                    <td>{utcTime(s.sendAt)}</td>
                    <td>
                      {s.temporalUiUrl ? (
                        <a
                          href={s.temporalUiUrl}
                          target="_blank"
                          rel="noreferrer"
                          aria-label={`${s.ruleName} for ${s.contactName} in the Temporal UI`}
                        >
                          Temporal UI
                        </a>
                      ) : (
                        <code className="small">{s.workflowId}</code>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
      <section aria-labelledby="outcomes">
        <h2 id="outcomes">Outcomes per day, last 30 days</h2>
        {rules.isError && <ErrorMessage error={rules.error} />}
        {shownRules.length === 0 && !rules.isPending && <p className="muted">No notifications yet.</p>}
        <div className="charts">
          {shownRules.map((rule) => (
            <OutcomeChart key={rule.id} rule={rule} />
          ))}
        </div>
      </section>
    </Page>
  );
}

const OUTCOMES = ['sent', 'skipped', 'failed'] as const;

/** Stacked bars, one per day (sent, skipped, failed); the totals in words for everyone. */
function OutcomeChart(props: { rule: Rule }) {
  const stats = useQuery({
    queryKey: ['rule-stats', props.rule.id],
    queryFn: () =>
      unwrap(
        api.GET('/v1/notification-rules/{id}/stats', { params: { path: { id: props.rule.id }, query: { days: 30 } } }),
      ),
  });
  const titleId = `chart-${props.rule.id}`;
  return (
    <figure className="panel chart" aria-labelledby={titleId}>
      <figcaption id={titleId}>
        <strong>{props.rule.name}</strong>
        {stats.data && (
          <span className="muted small">
            {' '}
            · {stats.data.totals.sent} sent, {stats.data.totals.skipped} skipped, {stats.data.totals.failed} failed
          </span>
        )}
      </figcaption>
      {stats.isPending ? (
        <Loading what="outcomes" />
      ) : stats.isError ? (
        <ErrorMessage error={stats.error} />
      ) : (
        <Bars stats={stats.data} name={props.rule.name} />
      )}
    </figure>
  );
}

function Bars(props: { stats: RuleStats; name: string }) {
  const { days, totals } = props.stats;
  const max = Math.max(1, ...days.map((d) => d.sent + d.skipped + d.failed));
  const width = 12;
  const gap = 3;
  const height = 80;
  return (
    <>
      <svg
        role="img"
        aria-label={`${props.name}, last 30 days: ${totals.sent} sent, ${totals.skipped} skipped, ${totals.failed} failed`}
        viewBox={`0 0 ${days.length * (width + gap)} ${height + 14}`}
        className="bars"
      >
        {days.map((day, i) => {
          let y = height;
          return (
            <g key={day.date}>
              <title>{`${day.date}: ${day.sent} sent, ${day.skipped} skipped, ${day.failed} failed`}</title>
              {OUTCOMES.map((outcome) => {
                const h = (day[outcome] / max) * height;
                y -= h;
                return h > 0 ? (
                  <rect
                    key={outcome}
                    className={`bar-${outcome}`}
                    x={i * (width + gap)}
                    y={y}
                    width={width}
                    height={h}
                  />
                ) : null;
              })}
              <rect className="bar-base" x={i * (width + gap)} y={height} width={width} height={2} />
            </g>
          );
        })}
        <text x={0} y={height + 13} className="bar-label">
          {days[0]?.date}
        </text>
        <text x={days.length * (width + gap) - gap} y={height + 13} className="bar-label" textAnchor="end">
          {days.at(-1)?.date}
        </text>
      </svg>
      <ul className="legend" aria-hidden="true">
        {OUTCOMES.map((outcome) => (
          <li key={outcome}>
            <span className={`swatch bar-${outcome}`} /> {outcome}
          </li>
        ))}
      </ul>
    </>
  );
}
