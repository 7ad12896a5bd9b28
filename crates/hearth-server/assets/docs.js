// Renders /api/openapi.json as a readable page. Everything is built with DOM
// calls and textContent: nothing from the document is parsed as HTML.

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
};

const refName = (ref) => ref.split('/').pop();

function schemaText(schema, components, depth = 0) {
  if (!schema) return 'any';
  if (schema.$ref) {
    const name = refName(schema.$ref);
    if (depth > 1) return name;
    return `${name} ${schemaText(components[name], components, depth + 1)}`;
  }
  if (schema.type === 'array' || (Array.isArray(schema.type) && schema.type.includes('array'))) {
    return `[${schemaText(schema.items, components, depth)}]`;
  }
  if (schema.properties) {
    const req = new Set(schema.required || []);
    const fields = Object.entries(schema.properties).map(([k, v]) => {
      const t = v.$ref ? refName(v.$ref) : Array.isArray(v.type) ? v.type.join('|') : v.type || (v.oneOf ? 'one of' : 'object');
      return `  ${k}${req.has(k) ? '' : '?'}: ${t}`;
    });
    return `{\n${fields.join(',\n')}\n}`;
  }
  if (schema.enum) return schema.enum.map((e) => JSON.stringify(e)).join(' | ');
  return Array.isArray(schema.type) ? schema.type.join('|') : schema.type || 'object';
}

async function main() {
  const res = await fetch('/api/openapi.json');
  const doc = await res.json();
  const components = (doc.components && doc.components.schemas) || {};
  document.getElementById('summary').textContent = `${doc.info.description} Version ${doc.info.version}.`;
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, op });
    }
  }
  const toc = document.getElementById('toc');
  const main = document.getElementById('endpoints');
  for (const [tag, ops] of byTag) {
    toc.append(el('a', { href: `#${tag}` }, tag));
    main.append(el('h2', { id: tag }, tag));
    for (const { path, method, op } of ops) {
      const section = el('section', { class: 'op' });
      section.append(el('div', {}, el('span', { class: `method ${method}` }, method), el('code', {}, path)));
      if (op.summary || op.description) section.append(el('p', {}, op.summary || op.description));
      const params = op.parameters || [];
      if (params.length) {
        const list = el('ul');
        for (const p of params) list.append(el('li', {}, el('code', {}, p.name), ` (${p.in})${p.description ? ` — ${p.description}` : ''}`));
        section.append(el('div', { class: 'muted' }, 'Parameters'), list);
      }
      const body = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
      if (body) {
        section.append(el('details', {}, el('summary', {}, 'Request body'), el('pre', {}, schemaText(body.schema, components))));
      }
      for (const [status, r] of Object.entries(op.responses || {})) {
        const json = r.content && r.content['application/json'];
        const d = el('details', {}, el('summary', {}, `${status} ${r.description || ''}`));
        if (json) d.append(el('pre', {}, schemaText(json.schema, components)));
        section.append(d);
      }
      main.append(section);
    }
  }
}

main().catch((e) => {
  document.getElementById('summary').textContent = `Could not load the API document: ${e}`;
});
