// The REST API client of the web UI. Requests are authenticated by the HttpOnly sign-in cookie (the page never sees
// an API key) and carry the X-Granary-Csrf header the gateway requires of cookie-authenticated changes.

/**
 * @typedef {{ type?: string, title?: string, status?: number, detail?: string, errors?: Record<string, string[]> }} Problem
 * @typedef {{ name: string, role: 'user' | 'admin' }} Me
 * @typedef {{ cpu: number, memory: number, gpu: number, fgpu: number, gpuModels?: string[] | null }} Resources
 * @typedef {{ name: string, protocol: string, url: string, state?: 'starting' | 'ready' | 'failed' }} App
 * @typedef {{ uuid: string, share: number, milli: number }} GpuShare
 * @typedef {{ folder: string, path: string, readOnly: boolean }} Mount
 * @typedef {{
 *   id: string, name: string, owner: string, image: string, type: string, status: string,
 *   statusReason: string | null, resources: Resources, agent: string | null, gpus: GpuShare[],
 *   createdAt: string, startedAt: string | null, terminatedAt: string | null, exitCode: number | null,
 *   apps: App[], resourceGroup: string, priority: number, mounts: Mount[], command: string[] | null
 * }} Session
 * @typedef {{ sequence: number, status: string, reason: string | null, at: string }} SessionEvent
 * @typedef {{ host: string, port: number, user: string, privateKey: string }} Ssh
 * @typedef {{ name: string, owner: string, createdAt: string, mountedBy: string[] }} Folder
 * @typedef {{ version: string, image: string, apps: string[], agents?: string[] }} ImageVersion
 * @typedef {{ environment: string, versions: ImageVersion[] }} Environment
 * @typedef {{ mode: string, agents: number, runtimes: string[], simulated: boolean, fgpuPerGpu?: number[] }} Info
 * @typedef {{ cpu: number, memory: number, gpu: number, fgpuPerGpu: number, enforcementMode: string, gpuEnforced: boolean, gpuSource: string }} Capacity
 * @typedef {{ cpu: number, memory: number, gpu: number }} Usage
 * @typedef {{ uuid: string, model: string, memory: number, index: number, allocated: number, shares: Record<string, number> }} AgentGpu
 * @typedef {{ sessionId: string, cpu: number, memory: number, gpus: GpuShare[] }} Allocation
 * @typedef {{
 *   id: string, reachable: boolean, error: string | null, resourceGroup: string | null, runtime: string | null,
 *   simulated: boolean, schedulable: boolean, foldersUnavailable: string | null, lastHeartbeat: string | null, capacity: Capacity | null,
 *   allocated: Usage | null, free: Usage | null, gpus: AgentGpu[], allocations: Allocation[], images: string[]
 * }} Agent
 * @typedef {{
 *   uuid: string, node: string, model: string, memory: number, index?: number, smCount?: number | null,
 *   enforcementMode?: string, enforced?: boolean, mock?: boolean, utilization?: number | null,
 *   memoryUsed?: number | null, shares: { sessionId: string, milli: number }[], migInstances?: unknown[],
 *   processes?: GpuProcess[] | null
 * }} Gpu
 * @typedef {{ pid: number, memory: number, session: string | null }} GpuProcess
 * @typedef {{ sessionId: string, name: string | null, owner: string | null, reason: string | null, skips: number, createdAt: string | null }} Pending
 * @typedef {{ resourceGroup: string, policy: string, agents: number, pending: Pending[] }} Queue
 * @typedef {{ url: string, expiresAt: string }} AppLink
 * @typedef {{
 *   name?: string, image: string, type: 'interactive' | 'batch', command?: string,
 *   resources: { cpu: number, memory: string, gpu?: number, fgpu?: number },
 *   mounts?: { folder: string, readOnly?: boolean }[]
 * }} CreateSession
 */

export const CSRF_HEADER = 'X-Granary-Csrf';

export class ApiError extends Error {
  /** @param {number} status @param {Problem} problem */
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** Field-named validation errors ("resources.memory" → messages), when the API gave them. */
  get fieldErrors() {
    return this.problem.errors || {};
  }
}

/** @type {() => void} */
let onSignedOut = () => {};

/** Called when the API answers 401: the sign-in expired or was revoked. @param {() => void} handler */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

/**
 * @template T
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {Record<string, string>} [extraHeaders]
 * @returns {Promise<T>}
 */
export async function request(method, path, body, extraHeaders) {
  /** @type {Record<string, string>} */
  const headers = { [CSRF_HEADER]: '1', ...extraHeaders };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    if (response.status === 401 && path !== '/v1/auth/session') onSignedOut();
    throw new ApiError(response.status, typeof data === 'object' && data ? data : { detail: String(data) });
  }
  return data;
}

export const api = {
  /** @param {string} key @returns {Promise<Me>} */
  signIn: key => request('POST', '/v1/auth/session', { key }),
  /** @returns {Promise<void>} */
  signOut: () => request('DELETE', '/v1/auth/session'),
  /** @returns {Promise<Me>} */
  me: () => request('GET', '/v1/me'),
  /** @returns {Promise<Info>} */
  info: () => request('GET', '/v1/info'),
  /** @returns {Promise<Environment[]>} */
  images: () => request('GET', '/v1/images'),
  /** @returns {Promise<Session[]>} */
  sessions: () => request('GET', '/v1/sessions'),
  /** @param {CreateSession} body @param {string} idempotencyKey @returns {Promise<Session>} */
  createSession: (body, idempotencyKey) => request('POST', '/v1/sessions', body, { 'Idempotency-Key': idempotencyKey }),
  /** @param {string} id @returns {Promise<Session>} */
  deleteSession: id => request('DELETE', `/v1/sessions/${encodeURIComponent(id)}`),
  /** @param {string} id @param {number} tail @returns {Promise<string>} */
  logs: (id, tail) => request('GET', `/v1/sessions/${encodeURIComponent(id)}/logs?tail=${tail}`),
  /** @param {string} id @returns {Promise<Ssh>} */
  ssh: id => request('GET', `/v1/sessions/${encodeURIComponent(id)}/ssh`),
  /** @param {string} id @param {string} app @param {boolean} asAdmin @returns {Promise<AppLink>} */
  openApp: (id, app, asAdmin) =>
    request('POST', `/v1/sessions/${encodeURIComponent(id)}/open/${encodeURIComponent(app)}${asAdmin ? '?asAdmin=true' : ''}`),
  /** @returns {Promise<Folder[]>} */
  folders: () => request('GET', '/v1/folders'),
  /** @param {string} name @returns {Promise<Folder>} */
  createFolder: name => request('POST', '/v1/folders', { name }),
  /** @param {string} name @returns {Promise<void>} */
  deleteFolder: name => request('DELETE', `/v1/folders/${encodeURIComponent(name)}`),
  /** @returns {Promise<Agent[]>} */
  agents: () => request('GET', '/v1/agents'),
  /** @returns {Promise<Gpu[]>} */
  gpus: () => request('GET', '/v1/gpus'),
  /** @returns {Promise<Queue[]>} */
  queue: () => request('GET', '/v1/queue'),
};

/**
 * Follows server-sent events with the browser's EventSource (the sign-in cookie goes along; it reconnects by
 * itself, resuming with Last-Event-ID). Returns a function that stops following.
 * @param {string} path
 * @param {Record<string, (data: any) => void>} handlers event type → handler of its parsed data
 * @param {(connected: boolean) => void} [onState]
 * @returns {() => void}
 */
export function follow(path, handlers, onState) {
  const source = new EventSource(path);
  for (const [type, handler] of Object.entries(handlers)) {
    source.addEventListener(type, event => handler(JSON.parse(/** @type {MessageEvent} */ (event).data)));
  }
  source.onopen = () => onState && onState(true);
  source.onerror = () => onState && onState(source.readyState === EventSource.OPEN);
  return () => source.close();
}
