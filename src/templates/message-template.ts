// Message templates (Handlebars). Only the variables below exist; a template naming anything
// else is refused when the rule is saved, so a reminder can never render half-empty.
import Handlebars from 'handlebars';

export const TEMPLATE_VARIABLES = ['contactName', 'eventLabel', 'eventDate', 'daysUntil', 'companyName'] as const;
export type TemplateVariables = Record<(typeof TEMPLATE_VARIABLES)[number], string | number>;

/** Subject of an email rule saved without one. */
export const DEFAULT_SUBJECT_TEMPLATE = '{{eventLabel}}: {{eventDate}}';

const ALLOWED = new Set<string>(TEMPLATE_VARIABLES);

/** Problems with a template, empty when it is usable. Only plain text, comments and
 * `{{variable}}` / `{{{variable}}}` are allowed: anything else (blocks, helpers, arguments,
 * sub-expressions, partials, decorators) is refused here, so every saved template renders. */
export function checkTemplate(source: string): string[] {
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch (error) {
    return [`template does not parse: ${(error as Error).message.split('\n')[0]}`];
  }
  const problems = new Set<string>();
  for (const node of ast.body) {
    if (node.type === 'ContentStatement' || node.type === 'CommentStatement') continue;
    if (node.type !== 'MustacheStatement') {
      problems.add('blocks, helpers and partials are not supported; use {{variable}} only');
      continue;
    }
    const mustache = node as hbs.AST.MustacheStatement;
    if (mustache.path.type !== 'PathExpression' || mustache.params.length > 0 || mustache.hash) {
      problems.add('only plain {{variable}} is supported (no arguments, helpers or sub-expressions)');
      continue;
    }
    const name = (mustache.path as hbs.AST.PathExpression).original;
    if (!ALLOWED.has(name)) problems.add(`unknown variable "${name}" (known: ${TEMPLATE_VARIABLES.join(', ')})`);
  }
  // Every variable has a non-empty value at send time (names and labels are required), so a
  // template renders to nothing exactly when it has no variable and no text outside comments.
  const saysSomething = ast.body.some(
    (node) =>
      node.type === 'MustacheStatement' ||
      (node.type === 'ContentStatement' && /\S/.test((node as hbs.AST.ContentStatement).value)),
  );
  if (problems.size === 0 && !saysSomething)
    problems.add('renders to an empty message (only blanks or {{! comments }}); write the text to send');
  return [...problems];
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
