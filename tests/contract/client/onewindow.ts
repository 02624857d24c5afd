// The citizen's operations of onewindow, each typed by the operation of the same id in the
// OpenAPI document: a change of the contract that breaks a mini-program breaks this build.
import type { components, operations } from "../generated/api";
import { request, uploadFile as upload, type Session } from "./wx-request";

type Schemas = components["schemas"];
type JsonBody<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : never;
type Answer<Op extends keyof operations, Status extends number> = operations[Op]["responses"] extends {
  [S in Status]: { content: { "application/json": infer A } };
}
  ? A
  : never;
type Query<Op extends keyof operations> = operations[Op]["parameters"] extends { query?: infer Q } ? Q : never;

export async function wechatLogin(session: Session, code: string): Promise<Answer<"wechatLogin", 200>> {
  const body: JsonBody<"wechatLogin"> = { code };
  const token = await request<Answer<"wechatLogin", 200>>(session, "POST", "/api/v1/auth/wechat-login", { body });
  session.token = token.token;
  return token;
}

export function uploadFile(session: Session, tempFilePath: string): Promise<Answer<"uploadFile", 201>> {
  return upload(session, tempFilePath);
}

export function getService(session: Session, code: string): Promise<Answer<"getService", 200>> {
  return request(session, "GET", `/api/v1/services/${encodeURIComponent(code)}`);
}

export function submitApplication(
  session: Session,
  body: JsonBody<"submitApplication">,
  idempotencyKey: string,
): Promise<Answer<"submitApplication", 201>> {
  return request(session, "POST", "/api/v1/applications", { body, idempotencyKey });
}

/** `after`: the position a command answered; the read waits until the read model has it. */
export function getApplication(
  session: Session,
  applicationId: string,
  query: Query<"getApplication"> = {},
): Promise<Answer<"getApplication", 200>> {
  return request(session, "GET", `/api/v1/applications/${applicationId}`, { query });
}

/** 201 for a new order, 200 for the order still open: the same PaymentOrder either way. */
export function payFee(
  session: Session,
  applicationId: string,
  idempotencyKey: string,
): Promise<Answer<"payFee", 201> | Answer<"payFee", 200>> {
  return request(session, "POST", `/api/v1/applications/${applicationId}/payment`, { idempotencyKey });
}

export function listSlots(
  session: Session,
  hallId: string,
  query: Query<"listSlots">,
): Promise<Answer<"listSlots", 200>> {
  return request(session, "GET", `/api/v1/halls/${hallId}/slots`, { query });
}

export function listHalls(session: Session): Promise<Answer<"listHalls", 200>> {
  return request(session, "GET", "/api/v1/halls");
}

export function bookAppointment(
  session: Session,
  body: JsonBody<"bookAppointment">,
  idempotencyKey: string,
): Promise<Answer<"bookAppointment", 201>> {
  return request(session, "POST", "/api/v1/appointments", { body, idempotencyKey });
}

export function evaluateApplication(
  session: Session,
  applicationId: string,
  body: JsonBody<"evaluateApplication">,
): Promise<Answer<"evaluateApplication", 200>> {
  return request(session, "POST", `/api/v1/applications/${applicationId}/evaluation`, { body });
}

/** wx.requestPayment with the order's jsapiParams as they are (strict under miniprogram-api-typings). */
export function requestPayment(jsapiParams: Schemas["JsapiParams"]): Promise<void> {
  return new Promise((resolve, reject) => {
    wx.requestPayment({
      timeStamp: jsapiParams.timeStamp,
      nonceStr: jsapiParams.nonceStr,
      package: jsapiParams.package,
      signType: jsapiParams.signType,
      paySign: jsapiParams.paySign,
      success: () => resolve(),
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}
