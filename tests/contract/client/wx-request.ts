// wx.request and wx.uploadFile as promises, typed by the paths of onewindow's OpenAPI document
// (generated/api.d.ts, made by openapi-typescript from /schema/openapi.json).
import type { components } from "../generated/api";

export type Problem = components["schemas"]["Problem"];

/** Every error answer is application/problem+json: map `code`, show `detail` as it is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail);
  }
}

export interface Session {
  baseUrl: string; // e.g. https://gov.example.cn (a request domain of the mini-program)
  token?: string; // the bearer token from wechatLogin
}

type Method = "GET" | "POST" | "DELETE" | "PUT";

function isProblem(data: unknown): data is Problem {
  return typeof data === "object" && data !== null && "code" in data && "status" in data;
}

function withQuery(path: string, query?: Record<string, string | number | null | undefined>): string {
  if (!query) return path;
  const parts = Object.entries(query)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `${path}?${parts.join("&")}` : path;
}

export function request<T>(
  session: Session,
  method: Method,
  path: string,
  options: {
    query?: Record<string, string | number | null | undefined>;
    body?: object;
    idempotencyKey?: string;
  } = {},
): Promise<T> {
  const header: Record<string, string> = { "content-type": "application/json" };
  if (session.token) header["Authorization"] = `Bearer ${session.token}`;
  if (options.idempotencyKey) header["Idempotency-Key"] = options.idempotencyKey;
  return new Promise<T>((resolve, reject) => {
    wx.request({
      url: session.baseUrl + withQuery(path, options.query),
      method,
      header,
      ...(options.body === undefined ? {} : { data: options.body }),
      dataType: "json",
      success(res) {
        if (res.statusCode >= 200 && res.statusCode < 300) {
          resolve(res.data as T);
        } else if (isProblem(res.data)) {
          reject(new ApiError(res.statusCode, res.data));
        } else {
          reject(new Error(`HTTP ${res.statusCode}`));
        }
      },
      fail(err) {
        reject(new Error(err.errMsg));
      },
    });
  });
}

/** POST /api/v1/files from a local file (wx.chooseMedia's tempFilePath): the part is `file`. */
export function uploadFile(session: Session, filePath: string): Promise<components["schemas"]["FileInfo"]> {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: `${session.baseUrl}/api/v1/files`,
      filePath,
      name: "file",
      header: session.token ? { Authorization: `Bearer ${session.token}` } : {},
      success(res) {
        const data: unknown = JSON.parse(res.data); // uploadFile hands back the body as text
        if (res.statusCode === 201) resolve(data as components["schemas"]["FileInfo"]);
        else if (isProblem(data)) reject(new ApiError(res.statusCode, data));
        else reject(new Error(`HTTP ${res.statusCode}`));
      },
      fail(err) {
        reject(new Error(err.errMsg));
      },
    });
  });
}
