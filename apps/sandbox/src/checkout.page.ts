/** Minimal hosted checkout pages: enough for a person or a test to press Pay or Decline. */

export interface CheckoutPage {
  provider: string;
  title: string;
  details: Array<[label: string, value: string]>;
  /** Form targets; omitted once the payment can no longer be acted on. */
  actions?: { pay: string; decline: string };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function layout(provider: string, title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)} · ${escapeHtml(provider)} sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}form{display:inline}button{margin-right:.5rem;padding:.5rem 1.5rem}</style>
</head>
<body>
<p><small>${escapeHtml(provider)} sandbox — no real money moves</small></p>
<h1>${escapeHtml(title)}</h1>
${content}
</body>
</html>
`;
}

export function renderCheckoutPage(page: CheckoutPage): string {
  const rows = page.details.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`).join('\n');
  const actions = page.actions
    ? `<form method="post" action="${escapeHtml(page.actions.pay)}"><button type="submit" name="action" value="pay">Pay</button></form>
<form method="post" action="${escapeHtml(page.actions.decline)}"><button type="submit" name="action" value="decline">Decline</button></form>`
    : '';
  return layout(page.provider, page.title, `<dl>\n${rows}\n</dl>\n${actions}`);
}

export function renderOutcomePage(provider: string, title: string, message: string): string {
  return layout(provider, title, `<p>${escapeHtml(message)}</p>`);
}
