// The live topology page: polls /api/topology every second, draws hosts (boxes), VMs (inside their
// host) and links (edges; a multipoint segment is a diamond joined to its VMs) with cytoscape.js,
// and computes the rate of each direction from the change of the byte counters between two polls.
'use strict';

const POLL_MS = 1000;
let previous = null;      // the last view, for rates
let rates = {};           // link id -> { forward, backward, drops } in bit/s and drops/s
let selected = null;
let lastView = null;

const cy = cytoscape({
  container: document.getElementById('graph'),
  style: [
    { selector: 'node.host', style: { 'shape': 'round-rectangle', 'background-color': '#eef2f7', 'border-color': '#7a8ca0', 'border-width': 1,
      'label': 'data(label)', 'text-valign': 'top', 'text-halign': 'center', 'font-size': 12, 'font-weight': 600, 'padding': 18 } },
    { selector: 'node.host.down', style: { 'border-color': '#c62828', 'border-style': 'dashed', 'background-color': '#fbecec' } },
    { selector: 'node.vm', style: { 'shape': 'round-rectangle', 'width': 70, 'height': 30, 'background-color': '#3b6ea5', 'color': '#fff',
      'label': 'data(label)', 'text-valign': 'center', 'font-size': 11 } },
    { selector: 'node.segment', style: { 'shape': 'diamond', 'width': 26, 'height': 26, 'background-color': '#8a5cc2', 'label': 'data(label)', 'font-size': 10 } },
    { selector: 'edge', style: { 'width': 3, 'line-color': '#1a7f37', 'curve-style': 'bezier', 'label': 'data(label)', 'font-size': 10,
      'text-wrap': 'wrap', 'text-background-color': '#fff', 'text-background-opacity': 0.85, 'text-background-padding': 2 } },
    { selector: 'edge.down, edge.failed', style: { 'line-color': '#c62828', 'line-style': 'dashed' } },
    { selector: 'edge.negotiating, edge.restarting, edge.waiting', style: { 'line-color': '#b26a00' } },
    { selector: 'edge:selected', style: { 'width': 6, 'line-color': '#0b57d0' } },
  ],
  layout: { name: 'preset' },
  wheelSensitivity: 0.3,
});
window.cy = cy;
cy.on('tap', 'edge', e => select(e.target.data('link')));

function bits(bps) {
  if (!(bps > 0)) return '0 bit/s';
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s'];
  let i = 0;
  while (bps >= 1000 && i < units.length - 1) { bps /= 1000; i++; }
  return bps.toFixed(bps < 10 ? 2 : 1) + ' ' + units[i];
}

function sumDrops(d) { return d ? d.drops : 0; }

// Rates of each link: "forward" = from its first end to the others (what the first end's VM sends),
// "backward" = what the other ends send; both from the vm->net bytes of the sending ends.
function computeRates(view) {
  const result = {};
  const before = new Map((previous ? previous.links : []).map(l => [l.id, l]));
  const seconds = previous ? (view.timeUnixMs - previous.timeUnixMs) / 1000 : 0;
  for (const link of view.links) {
    const old = before.get(link.id);
    const r = { forward: 0, backward: 0, drops: 0 };
    if (old && seconds > 0) {
      link.ends.forEach((end, i) => {
        const was = old.ends.find(e => e.host === end.host && e.vm === end.vm);
        if (!was || !end.vmToNet || !was.vmToNet) return;
        const bps = Math.max(0, end.vmToNet.bytes - was.vmToNet.bytes) * 8 / seconds;
        if (i === 0) r.forward += bps; else r.backward += bps;
        r.drops += Math.max(0, (sumDrops(end.vmToNet) + sumDrops(end.netToVm)) - (sumDrops(was.vmToNet) + sumDrops(was.netToVm))) / seconds;
      });
    }
    result[link.id] = r;
  }
  return result;
}

function draw(view) {
  const wanted = new Set();
  const add = (el) => { wanted.add(el.data.id); const have = cy.getElementById(el.data.id);
    if (have.nonempty()) { have.data(el.data); have.classes(el.classes || ''); } else cy.add(el); };
  for (const h of view.hosts) {
    add({ group: 'nodes', data: { id: 'host:' + h.name, label: `${h.name} (${h.address})${h.up ? '' : ' — down'}` }, classes: 'host' + (h.up ? '' : ' down') });
    for (const vm of h.vms) add({ group: 'nodes', data: { id: 'vm:' + vm.name, parent: 'host:' + h.name, label: vm.name }, classes: 'vm' });
  }
  for (const l of view.links) {
    const r = rates[l.id] || { forward: 0, backward: 0 };
    const [a, ...others] = l.ends;
    const label = `${l.id} ${l.kind} ${l.status}\n→ ${bits(r.forward)}  ← ${bits(r.backward)}`;
    const known = (e) => cy.getElementById('vm:' + e.vm).nonempty() || wanted.has('vm:' + e.vm);
    if (l.ends.length === 2 && known(a) && known(others[0])) {
      add({ group: 'edges', data: { id: 'link:' + l.id, link: l.id, source: 'vm:' + a.vm, target: 'vm:' + others[0].vm, label }, classes: l.status });
    } else {
      add({ group: 'nodes', data: { id: 'segment:' + l.id, label }, classes: 'segment' });
      l.ends.filter(known).forEach((e, i) => add({ group: 'edges', data: { id: `link:${l.id}:${i}`, link: l.id, source: 'segment:' + l.id, target: 'vm:' + e.vm, label: '' }, classes: l.status }));
    }
  }
  cy.elements().forEach(el => { if (!wanted.has(el.id())) el.remove(); });
  place(view);
}

// Hosts side by side (columns 360 px apart), their VMs stacked inside; a multipoint segment below
// the VMs it joins. Placed again only when the set of hosts, VMs or segments changes.
let placedKey = '';
function place(view) {
  const key = cy.nodes().map(n => n.id()).sort().join('|');
  if (key === placedKey) return;
  placedKey = key;
  view.hosts.forEach((h, i) => h.vms.forEach((vm, j) => cy.getElementById('vm:' + vm.name).position({ x: i * 360, y: j * 70 })));
  const bottom = Math.max(0, ...cy.nodes('.vm').map(n => n.position('y')));
  cy.nodes('.segment').forEach(seg => {
    const members = seg.neighborhood('node.vm');
    const x = members.length ? members.map(n => n.position('x')).reduce((a, b) => a + b, 0) / members.length : 0;
    seg.position({ x, y: bottom + 130 });
  });
  cy.fit(undefined, 60);
  if (cy.zoom() > 1.8) { cy.zoom(1.8); cy.center(); }
}

function cell(text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; }

function listLinks(view) {
  const body = document.querySelector('#links tbody');
  body.replaceChildren(...view.links.map(l => {
    const r = rates[l.id] || { forward: 0, backward: 0, drops: 0 };
    const tr = document.createElement('tr');
    tr.dataset.link = l.id;
    tr.dataset.rate = String(Math.round(r.forward + r.backward));
    tr.dataset.state = l.status;
    if (l.id === selected) tr.className = 'selected';
    tr.append(cell(l.id), cell(l.kind), cell(l.status, 'state-' + l.status), cell(bits(r.forward), 'num'), cell(bits(r.backward), 'num'), cell(r.drops.toFixed(0) + '/s', 'num'));
    tr.addEventListener('click', () => select(l.id));
    return tr;
  }));
  const hosts = document.getElementById('hosts');
  hosts.replaceChildren(...view.hosts.map(h => {
    const li = document.createElement('li');
    li.dataset.host = h.name;
    li.textContent = `${h.name} ${h.address} ${h.up ? 'up' : 'down'}: `;
    h.vms.forEach((vm, i) => { const s = document.createElement('span'); s.dataset.vm = vm.name; s.textContent = (i ? ', ' : '') + `${vm.name} (${vm.state})`; li.append(s); });
    return li;
  }));
}

function showDetails(view) {
  const box = document.getElementById('details');
  const l = view.links.find(x => x.id === selected);
  if (!l) { box.textContent = 'Click a link (an edge of the graph or a row above).'; return; }
  const o = l.options;
  const opts = [['kind', l.kind], ['state', l.status + (l.detail ? ` (${l.detail})` : '')], ['protocol number', l.protocol],
    ['compression', o.compression], ['bandwidth', o.bandwidthBitsPerSecond ? bits(o.bandwidthBitsPerSecond) : 'unlimited'],
    ['delay / jitter', `${o.delayMs} ms / ${o.jitterMs} ms`], ['loss', o.lossPercent + ' %'], ['dscp', o.dscp],
    ['authenticated', o.authenticate ? 'yes' : 'no'], ['encrypted', o.encrypt ? 'yes' : 'no'], ['source filter', o.filterSource ? 'on' : 'off']];
  const t1 = document.createElement('table');
  t1.id = 'link-options';
  opts.forEach(([k, v]) => { const tr = document.createElement('tr'); tr.append(cell(k), cell(String(v))); t1.append(tr); });
  const t2 = document.createElement('table');
  t2.id = 'link-counters';
  const head = document.createElement('tr');
  ['end', 'direction', 'frames', 'bytes', 'capsule bytes', 'drops'].forEach(h => { const th = document.createElement('th'); th.textContent = h; head.append(th); });
  t2.append(head);
  for (const e of l.ends) {
    for (const [name, d] of [['vm→net', e.vmToNet], ['net→vm', e.netToVm]]) {
      const tr = document.createElement('tr');
      const drops = d ? Object.entries(d.dropsByReason).map(([k, v]) => `${k} ${v}`).join(', ') || '0' : '-';
      tr.append(cell(`${e.vm}@${e.host}`), cell(name), cell(d ? d.frames : '-', 'num'), cell(d ? d.bytes : '-', 'num'), cell(d ? d.wireBytes : '-', 'num'), cell(drops));
      t2.append(tr);
    }
  }
  const title = document.createElement('div');
  title.innerHTML = '';
  title.textContent = `link ${l.id}`;
  title.style.fontWeight = '600';
  box.replaceChildren(title, t1, t2);
}

function select(id) {
  selected = id;
  cy.edges().unselect();
  cy.edges().filter(e => e.data('link') === id).select();
  if (lastView) { listLinks(lastView); showDetails(lastView); }
}

async function poll() {
  try {
    const response = await fetch('api/topology', { cache: 'no-store' });
    const view = await response.json();
    rates = computeRates(view);
    previous = view;
    lastView = view;
    document.getElementById('node').textContent = 'node ' + view.node;
    document.getElementById('updated').textContent = 'updated ' + new Date(view.timeUnixMs).toLocaleTimeString();
    document.getElementById('problem').textContent = view.problem || '';
    draw(view);
    listLinks(view);
    showDetails(view);
  } catch (e) {
    document.getElementById('problem').textContent = 'cannot read api/topology: ' + e;
  } finally {
    setTimeout(poll, POLL_MS);
  }
}
poll();
