// START → the launch dialog: environment and version, resources (presets, CPU, RAM, whole GPUs or fGPU), folders to
// mount (read-only or not), interactive or batch with a command, then LAUNCH. API errors show next to their fields.
import { api, ApiError } from '../api.js';
import { el, field, showFieldErrors } from '../dom.js';
import { openDialog } from './dialog.js';

/** CPU cores and GiB of memory. */
const PRESETS = [
  { id: 'small', label: 'Small: 1 CPU, 2 GiB', cpu: 1, memory: 2 },
  { id: 'medium', label: 'Medium: 4 CPU, 16 GiB', cpu: 4, memory: 16 },
  { id: 'large', label: 'Large: 8 CPU, 32 GiB', cpu: 8, memory: 32 },
];

/**
 * What one fGPU is on this cluster, from how many fGPU one GPU holds on its nodes.
 * @param {number[] | undefined} perGpu
 */
export function fgpuExplanation(perGpu) {
  if (!perGpu || perGpu.length === 0) return 'No node of this cluster has GPUs.';
  return perGpu.map(n => {
    const share = Math.round(1000 / n) / 1000;
    return `1 fGPU = ${share} of a GPU: ${Math.round(share * 100)} % of its SMs and memory` + (perGpu.length > 1 ? ` (nodes with ${n} fGPU per GPU)` : '');
  }).join('; ') + '.';
}

/**
 * @param {(session: import('../api.js').Session) => void} onLaunched
 */
export async function openLaunchDialog(onLaunched) {
  const form = /** @type {HTMLFormElement} */ (el('form', { class: 'launch', novalidate: true }));
  const { close } = openDialog('Start a session', [form], { wide: true });
  form.append(el('p', { class: 'muted' }, 'Loading environments…'));

  /** @type {[import('../api.js').Environment[], import('../api.js').Info, import('../api.js').Folder[]]} */
  let loaded;
  try {
    loaded = await Promise.all([api.images(), api.info(), api.folders()]);
  } catch (error) {
    form.replaceChildren(el('p', { class: 'error', role: 'alert' }, `Could not load the launch options: ${error instanceof Error ? error.message : error}`));
    return;
  }
  const [environments, info, folders] = loaded;
  form.replaceChildren(...build(environments, info, folders));

  const environment = /** @type {HTMLSelectElement | null} */ (form.querySelector('#launch-environment'));
  const version = /** @type {HTMLSelectElement | null} */ (form.querySelector('#launch-version'));
  const fillVersions = () => {
    if (!environment || !version) return;
    const chosen = environments.find(e => e.environment === environment.value);
    version.replaceChildren(...(chosen ? chosen.versions : []).map(v =>
      el('option', { value: v.image }, `${v.version}${v.apps.length ? ` (${v.apps.join(', ')})` : ''}`)));
  };
  environment?.addEventListener('change', fillVersions);
  fillVersions();

  const preset = /** @type {HTMLSelectElement} */ (form.querySelector('#launch-preset'));
  const cpu = /** @type {HTMLInputElement} */ (form.querySelector('#launch-cpu'));
  const memory = /** @type {HTMLInputElement} */ (form.querySelector('#launch-memory'));
  preset.addEventListener('change', () => {
    const chosen = PRESETS.find(p => p.id === preset.value);
    if (chosen) { cpu.value = String(chosen.cpu); memory.value = String(chosen.memory); }
  });
  for (const input of [cpu, memory]) input.addEventListener('input', () => { preset.value = 'custom'; });

  const gpuAmount = /** @type {HTMLInputElement} */ (form.querySelector('#launch-gpu-amount'));
  const gpuKind = () => /** @type {HTMLInputElement} */ (form.querySelector('input[name=gpuKind]:checked')).value;
  const syncGpu = () => {
    const kind = gpuKind();
    gpuAmount.disabled = kind === 'none';
    gpuAmount.step = kind === 'fgpu' ? '0.1' : '1';
    if (kind === 'gpu' && !Number.isInteger(Number(gpuAmount.value))) gpuAmount.value = '1';
  };
  for (const radio of form.querySelectorAll('input[name=gpuKind]')) radio.addEventListener('change', syncGpu);
  syncGpu();

  const command = /** @type {HTMLInputElement} */ (form.querySelector('#launch-command'));
  const commandField = /** @type {HTMLElement} */ (command.closest('.field'));
  const type = () => /** @type {HTMLInputElement} */ (form.querySelector('input[name=type]:checked')).value;
  const syncType = () => { commandField.hidden = type() !== 'batch'; };
  for (const radio of form.querySelectorAll('input[name=type]')) radio.addEventListener('change', syncType);
  syncType();

  // LAUNCH pressed again with the same form after an error names the same session: when the first was stored but
  // its answer lost (a 503 while a manager restarts), the gateway answers with that session instead of making a
  // second. A changed form is a new launch.
  let attempt = { body: '', key: '' };
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const data = new FormData(form);
    /** @type {import('../api.js').CreateSession} */
    const body = {
      image: String(version ? version.value : data.get('image') || '').trim(),
      type: type() === 'batch' ? 'batch' : 'interactive',
      resources: { cpu: Number(cpu.value), memory: memoryText(memory.value) },
    };
    const name = String(data.get('name') || '').trim();
    if (name) body.name = name;
    const kind = gpuKind();
    if (kind === 'gpu') body.resources.gpu = Number(gpuAmount.value);
    if (kind === 'fgpu') body.resources.fgpu = Number(gpuAmount.value);
    if (body.type === 'batch' && command.value.trim()) body.command = command.value.trim();
    const mounts = [...form.querySelectorAll('input[name=mount]:checked')].map(input => {
      const folder = /** @type {HTMLInputElement} */ (input).value;
      const readOnly = /** @type {HTMLInputElement | null} */ (form.querySelector(`input[name=readOnly][value="${CSS.escape(folder)}"]`));
      return readOnly && readOnly.checked ? { folder, readOnly: true } : { folder };
    });
    if (mounts.length) body.mounts = mounts;

    const launch = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
    launch.disabled = true;
    try {
      const text = JSON.stringify(body);
      if (text !== attempt.body) attempt = { body: text, key: newKey() };
      const session = await api.createSession(body, attempt.key);
      onLaunched(session);
      close();
    } catch (error) {
      if (error instanceof ApiError) showFieldErrors(form, mountErrors(error.fieldErrors, mounts), error.problem.errors ? undefined : error.message);
      else showFieldErrors(form, {}, String(error));
      const invalid = /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid=true]'));
      if (invalid) invalid.focus();
    } finally {
      launch.disabled = false;
    }
  });
}

/** 128 random bits in hex (crypto.randomUUID needs a secure context; a cluster's UI may be served over plain http). */
function newKey() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map(b => b.toString(16).padStart(2, '0')).join('');
}

/** GiB from the form ("2", "0.5") as the API's memory text ("2048m"); anything else goes as typed for the API to judge. */
/** @param {string} value */
function memoryText(value) {
  const gib = Number(value);
  return value.trim() !== '' && Number.isFinite(gib) ? `${Math.round(gib * 1024)}m` : value.trim();
}

/** The API names mounts by index ("mounts[0].folder"); the form shows them by folder. */
/** @param {Record<string, string[]>} errors @param {{ folder: string }[]} mounts */
function mountErrors(errors, mounts) {
  /** @type {Record<string, string[]>} */
  const named = {};
  for (const [key, messages] of Object.entries(errors)) {
    const match = key.match(/^mounts\[(\d+)\]/);
    const mount = match ? mounts[Number(match[1])] : undefined;
    named[mount ? `mount:${mount.folder}` : key] = messages;
  }
  return named;
}

/**
 * @param {import('../api.js').Environment[]} environments
 * @param {import('../api.js').Info} info
 * @param {import('../api.js').Folder[]} folders
 */
function build(environments, info, folders) {
  const image = environments.length
    ? [
        field('Environment', el('select', { id: 'launch-environment', name: 'environment' },
          environments.map(e => el('option', { value: e.environment }, e.environment))), { error: 'image' }),
        field('Version', el('select', { id: 'launch-version', name: 'version' })),
      ]
    : [field('Image', el('input', { id: 'launch-image', name: 'image', required: true, placeholder: 'python:3.11' }),
        { error: 'image', hint: 'No agent has reported its images yet: type one.' })];
  const gpuHelp = fgpuExplanation(info.fgpuPerGpu);
  return [
    el('fieldset', {}, el('legend', {}, 'Environment'),
      el('div', { class: 'grid' }, ...image,
        field('Session name', el('input', { id: 'launch-name', name: 'name', placeholder: 'generated when empty', autocomplete: 'off' }), { error: 'name' }))),
    el('fieldset', {}, el('legend', {}, 'Resources'),
      el('div', { class: 'grid' },
        field('Preset', el('select', { id: 'launch-preset', name: 'preset' },
          PRESETS.map(p => el('option', { value: p.id }, p.label)), el('option', { value: 'custom' }, 'Custom'))),
        field('CPU (cores)', el('input', { id: 'launch-cpu', name: 'cpu', type: 'number', min: '0.1', step: '0.1', value: '1', inputmode: 'decimal' }), { error: 'resources.cpu' }),
        field('RAM (GiB)', el('input', { id: 'launch-memory', name: 'memory', type: 'text', value: '2', inputmode: 'decimal' }), { error: 'resources.memory' })),
      el('div', { class: 'gpu-choice', role: 'radiogroup', 'aria-labelledby': 'launch-gpu-label', 'aria-describedby': 'launch-gpu-help' },
        el('span', { id: 'launch-gpu-label', class: 'label' }, 'GPU'),
        radio('gpuKind', 'none', 'None', true), radio('gpuKind', 'gpu', 'Whole GPUs', false), radio('gpuKind', 'fgpu', 'fGPU (a share of one GPU)', false)),
      field('GPU amount', el('input', { id: 'launch-gpu-amount', name: 'gpuAmount', type: 'number', min: '0.1', step: '1', value: '1', inputmode: 'decimal' }),
        { error: 'resources.gpu', hint: el('span', { id: 'launch-gpu-help' }, gpuHelp) }),
      el('span', { class: 'field-error', 'data-error-for': 'resources.fgpu', 'aria-live': 'polite' }),
      el('span', { class: 'field-error', 'data-error-for': 'resources', 'aria-live': 'polite' })),
    el('fieldset', {}, el('legend', {}, 'Folders to mount'),
      folders.length
        ? el('ul', { class: 'folder-picks' }, folders.map(f => el('li', {},
            el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'mount', value: f.name }), ` ${f.name}`),
            el('label', { class: 'inline muted' }, el('input', { type: 'checkbox', name: 'readOnly', value: f.name }), ' read-only'),
            el('span', { class: 'field-error', 'data-error-for': `mount:${f.name}`, 'aria-live': 'polite' }))))
        : el('p', { class: 'muted' }, 'You have no folders yet (Folders page). A session keeps files only in mounted folders.'),
      el('p', { class: 'hint' }, 'Each folder is mounted at /home/work/<name>.')),
    el('fieldset', {}, el('legend', {}, 'Session type'),
      el('div', { class: 'inline-group', role: 'radiogroup', 'aria-label': 'Session type' },
        radio('type', 'interactive', 'Interactive (apps, terminal)', true), radio('type', 'batch', 'Batch (runs a command, then ends)', false)),
      field('Command', el('input', { id: 'launch-command', name: 'command', placeholder: 'python train.py', autocomplete: 'off' }), { error: 'command' })),
    el('ul', { class: 'form-errors error', role: 'alert' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'LAUNCH')),
  ];
}

/** @param {string} name @param {string} value @param {string} label @param {boolean} checked */
function radio(name, value, label, checked) {
  return el('label', { class: 'inline' }, el('input', { type: 'radio', name, value, checked }), ` ${label}`);
}
