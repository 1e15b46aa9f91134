// Settings › Company: the time zone every "send at" is in (searchable), the Feb 29 policy, how long
// chats stay open, how late a send may still go out, and the gateway address. Admins change them;
// other users see them read-only.
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { keys, useCompany } from '../../api/queries';
import type { Company } from '../../api/types';
import { ApiForm, ComboBoxInput, NumberInput, RadioInput, TextInput } from '../../components/fields';
import { AdminOnlyNote, Button, ErrorMessage, Loading, Page } from '../../components/ui';
import { useMe } from '../../app/session';

const TIME_ZONES = Intl.supportedValuesOf('timeZone').map((zone) => ({ id: zone, label: zone.replaceAll('_', ' ') }));

export default function CompanySettingsScreen() {
  const company = useCompany();
  return (
    <Page title="Company settings" trail={[{ label: 'Settings' }, { label: 'Company' }]}>
      {company.isPending ? (
        <Loading what="the settings" />
      ) : company.isError ? (
        <ErrorMessage error={company.error} />
      ) : (
        <SettingsForm key={company.data.id} company={company.data} />
      )}
    </Page>
  );
}

function SettingsForm(props: { company: Company }) {
  const queryClient = useQueryClient();
  const me = useMe();
  const [form, setForm] = useState(props.company);
  const set =
    <K extends keyof Company>(key: K) =>
    (value: Company[K]) =>
      setForm((f) => ({ ...f, [key]: value }));
  const save = useMutation({
    mutationFn: () => {
      const { id: _id, ...body } = form;
      return unwrap(api.PATCH('/v1/company', { body }));
    },
    onSuccess: (saved) => {
      queryClient.setQueryData(keys.company, saved);
      return queryClient.invalidateQueries({ queryKey: keys.senders });
    },
  });
  const zones = TIME_ZONES.some((z) => z.id === form.timeZone)
    ? TIME_ZONES
    : [{ id: form.timeZone, label: form.timeZone }, ...TIME_ZONES];
  return (
    <ApiForm
      className="panel settings-form"
      errors={save.error instanceof ApiError ? save.error.fieldErrors() : {}}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <TextInput
        label="Company name"
        name="name"
        value={form.name}
        onChange={set('name')}
        isRequired
        isDisabled={!me.isAdmin}
      />
      <ComboBoxInput
        label="Time zone"
        name="timeZone"
        isDisabled={!me.isAdmin}
        value={form.timeZone}
        onChange={(zone) => zone && set('timeZone')(zone)}
        options={zones}
        description="Every notification's “send at” time is in this zone. Changing it re-plans every waiting reminder."
      />
      <RadioInput
        label="Events on February 29, in years without one"
        name="leapDayPolicy"
        isDisabled={!me.isAdmin}
        value={form.leapDayPolicy}
        onChange={(v) => set('leapDayPolicy')(v as Company['leapDayPolicy'])}
        options={[
          { id: 'feb28', label: 'February 28' },
          { id: 'mar1', label: 'March 1' },
        ]}
      />
      <NumberInput
        label="WhatsApp chat window (hours)"
        name="whatsappWindowHours"
        isDisabled={!me.isAdmin}
        value={form.whatsappWindowHours}
        onChange={set('whatsappWindowHours')}
        minValue={1}
        maxValue={720}
        description="How long a WhatsApp chat stays open after the client’s last message (Twilio: 24)."
      />
      <NumberInput
        label="Instagram chat window (hours)"
        name="instagramWindowHours"
        isDisabled={!me.isAdmin}
        value={form.instagramWindowHours}
        onChange={set('instagramWindowHours')}
        minValue={1}
        maxValue={720}
        description="Instagram: 7 days = 168 hours."
      />
      <NumberInput
        label="Late-send grace (minutes)"
        name="lateGraceMinutes"
        isDisabled={!me.isAdmin}
        value={form.lateGraceMinutes}
        onChange={set('lateGraceMinutes')}
        minValue={0}
        maxValue={10080}
        description="A send that falls due while the service is down still goes out if it is at most this late; later ones are skipped."
      />
      <TextInput
        label="Gateway address"
        name="gatewayEmail"
        isDisabled={!me.isAdmin}
        type="email"
        value={form.gatewayEmail}
        onChange={set('gatewayEmail')}
        isRequired
        description="The default sender of email notifications."
      />
      {save.error instanceof ApiError && save.error.details.length === 0 && (
        <ErrorMessage error={save.error} title="Not saved" />
      )}
      <div className="dialog-actions">
        <span className="spacer" />
        {save.isSuccess && (
          <span role="status" className="muted">
            Saved.
          </span>
        )}
        <Button type="submit" variant="primary" isDisabled={!me.isAdmin || save.isPending}>
          Save settings
        </Button>
      </div>
      <AdminOnlyNote isAdmin={me.isAdmin} what="change the company settings" />
    </ApiForm>
  );
}
