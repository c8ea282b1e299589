// How numbers, times and resources read on the page.

/** @param {number} n bytes */
export function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${Math.round(n * 10) / 10} ${units[i]}`;
}

/** @param {string | null | undefined} at */
export function when(at) {
  return at ? new Date(at).toLocaleString() : '—';
}

/** "2 h 5 min", "45 s". @param {number} milliseconds */
export function duration(milliseconds) {
  const s = Math.max(0, Math.round(milliseconds / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** @param {import('./api.js').Resources} r */
export function resources(r) {
  const parts = [`${r.cpu} CPU`, bytes(r.memory)];
  if (r.gpu) parts.push(`${r.gpu} GPU`);
  if (r.fgpu) parts.push(`${r.fgpu} fGPU`);
  return parts.join(' · ');
}

/** "jupyter" → "Jupyter". @param {string} name */
export function appTitle(name) {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export const FINAL = ['TERMINATED', 'ERROR', 'CANCELLED'];

/** @param {string} status */
export const isFinal = status => FINAL.includes(status);
