// The citizen journey of the mini-program, step by step: login, upload, submit, progress read
// with `after`, pay with wx.requestPayment, book a slot, evaluate. The reference for teams.
import type { components } from "../generated/api";
import * as api from "./onewindow";
import { ApiError, type Session } from "./wx-request";

type Status = components["schemas"]["ApplicationProgress"]["status"];

function login(): Promise<string> {
  return new Promise((resolve, reject) =>
    wx.login({ success: (res) => resolve(res.code), fail: (err) => reject(new Error(err.errMsg)) }),
  );
}

function key(): string {
  return `${Date.now()}-${Math.random().toString(16).slice(2)}`; // one per user action
}

export async function citizenJourney(baseUrl: string, serviceCode: string, tempFilePath: string): Promise<Status> {
  const session: Session = { baseUrl };
  await api.wechatLogin(session, await login());

  const service = await api.getService(session, serviceCode);
  const situation = service.situations[0];
  if (situation === undefined) throw new Error(`${serviceCode} has no situation`);
  const materials: components["schemas"]["MaterialRef"][] = [];
  for (const material of situation.materials) {
    const file = await api.uploadFile(session, tempFilePath);
    materials.push({ materialId: material.id, fileId: file.fileId });
  }

  const submitted = await api.submitApplication(
    session,
    { serviceCode, situationId: situation.id, materials, delivery: { method: "pickup" } },
    key(),
  );
  let progress = await api.getApplication(session, submitted.id, { after: submitted.position });
  wx.showToast({ title: progress.statusText, icon: "none" });

  if (progress.status === "awaiting_payment") {
    const order = await api.payFee(session, submitted.id, key());
    await api.requestPayment(order.jsapiParams);
    progress = await api.getApplication(session, submitted.id, { after: order.position });
  }

  const hall = (await api.listHalls(session))[0];
  if (hall !== undefined) {
    const slots = await api.listSlots(session, hall.id, { date: "2026-12-02" });
    const slot = slots.find((s) => s.remaining > 0);
    if (slot !== undefined) {
      const booked = await api.bookAppointment(
        session,
        { slotId: slot.slotId, serviceCode, applicationId: submitted.id },
        key(),
      );
      wx.showToast({ title: `已预约 ${booked.start}`, icon: "none" });
    }
  }

  try {
    await api.evaluateApplication(session, submitted.id, { rating: 5, comment: "办理顺利" });
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    // a problem's code is for the program, its detail for the citizen
    wx.showModal({ title: e.problem.title, content: e.problem.detail, showCancel: false });
  }
  return progress.status;
}
