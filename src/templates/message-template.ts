// Message templates (Handlebars). Only the variables below exist; a template naming anything
// else is refused when the rule is saved, so a reminder can never render half-empty.
import Handlebars from 'handlebars';

export const TEMPLATE_VARIABLES = ['contactName', 'eventLabel', 'eventDate', 'daysUntil', 'companyName'] as const;
export type TemplateVariables = Record<(typeof TEMPLATE_VARIABLES)[number], string | number>;

const ALLOWED = new Set<string>(TEMPLATE_VARIABLES);

/** Problems with a template, empty when it is usable. */
export function checkTemplate(source: string): string[] {
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch (error) {
    return [`template does not parse: ${(error as Error).message.split('\n')[0]}`];
  }
  const problems: string[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; original?: string; parts?: string[] } & Record<string, unknown>;
    if (n.type === 'PathExpression') {
      const name = n.original ?? '';
      if (!ALLOWED.has(name)) problems.push(`unknown variable "${name}" (known: ${TEMPLATE_VARIABLES.join(', ')})`);
      return;
    }
    if (n.type === 'BlockStatement' || n.type === 'PartialStatement' || n.type === 'DecoratorBlock' || n.type === 'PartialBlockStatement') {
      problems.push('blocks, helpers and partials are not supported; use {{variable}} only');
      return;
    }
    for (const value of Object.values(n)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object' && key(value)) visit(value);
    }
  };
  visit(ast);
  return [...new Set(problems)];
}

function key(value: object): boolean {
  return 'type' in value;
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Renders plain text (no HTML escaping: SMS, chat and text email bodies). */
export function renderTemplate(source: string, variables: TemplateVariables): string {
  let template = compiled.get(source);
  if (!template) {
    template = Handlebars.compile(source, { noEscape: true, strict: true });
    compiled.set(source, template);
  }
  return template(variables);
}
