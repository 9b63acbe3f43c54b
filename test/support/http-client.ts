/** Tiny JSON client for integration tests against an in-process gateway (`gw.url`). */
export interface JsonAnswer {
  status: number;
  body: any;
  headers: Headers;
}

export function httpClient(baseUrl: () => string) {
  async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
    const res = await fetch(baseUrl() + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }
  return {
    post: (path: string, body: unknown, headers?: Record<string, string>) => send('POST', path, body, headers),
    get: (path: string, headers?: Record<string, string>) => send('GET', path, undefined, headers),
  };
}
