import { checkTemplate, renderTemplate } from '../../src/templates/message-template';

const vars = {
  contactName: 'Ada & Co',
  eventLabel: 'Birthday',
  eventDate: '2027-12-10',
  daysUntil: 3,
  companyName: 'Acme',
};

test('plain variables, triple-stash and comments are accepted and render as plain text (no HTML escaping)', () => {
  const template =
    'Hi {{contactName}}, your {{eventLabel}} is on {{{eventDate}}} ({{daysUntil}} days){{! note }} — {{companyName}}';
  expect(checkTemplate(template)).toEqual([]);
  expect(renderTemplate(template, vars)).toBe('Hi Ada & Co, your Birthday is on 2027-12-10 (3 days) — Acme');
});

test.each([
  ['{{firstName}}', /unknown variable "firstName"/],
  ['{{contactName.length}}', /unknown variable/],
  ['{{contactName "x"}}', /only plain/],
  ['{{contactName a=1}}', /only plain/],
  ['{{contactName (eventLabel)}}', /only plain/],
  ['{{#if contactName}}x{{/if}}', /blocks, helpers and partials/],
  ['{{> partial}}', /blocks, helpers and partials/],
  ['{{* contactName}}', /blocks, helpers and partials/],
  ['{{contactName', /does not parse/],
  ['', /renders to an empty message/],
  ['  \n ', /renders to an empty message/],
  ['{{! only a comment }}', /renders to an empty message/],
  ['{{!-- a --}} {{! b }}', /renders to an empty message/],
])('%s is refused at save time', (template, message) => {
  const problems = checkTemplate(template);
  expect(problems.join('\n')).toMatch(message);
});

test('every template checkTemplate accepts renders', () => {
  for (const template of [
    'no variables',
    '{{! a note }}x',
    '{{contactName}}{{eventLabel}}{{eventDate}}{{daysUntil}}{{companyName}}',
    '{{{contactName}}}',
  ]) {
    expect(checkTemplate(template)).toEqual([]);
    expect(() => renderTemplate(template, vars)).not.toThrow();
  }
});
