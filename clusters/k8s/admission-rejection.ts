/**
 * The API server refuses a pod that violates Pod Security with 403 Forbidden and a Status whose message
 * carries the PodSecurity text (`pods "x" is forbidden: violates PodSecurity "baseline:latest": host
 * namespaces (hostNetwork=true)`). That message, verbatim, is admission's own record.
 */
export interface ApiErrorLike {
  readonly code?: number;
  readonly body?: unknown;
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body) as unknown);
    } catch {
      return body;
    }
  }
  if (body !== null && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return undefined;
}

/**
 * The admission message if the error is an admission refusal (PodSecurity, ValidatingAdmissionPolicy or a
 * validating webhook); else undefined — an RBAC 403 (`User "x" cannot create resource "pods"`) is not admission.
 */
export function admissionRejection(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, body } = error as ApiErrorLike;
  if (code !== 403 && code !== 400) return undefined;
  const message = statusMessage(body);
  if (message === undefined) return undefined;
  // ValidatingAdmissionPolicy words it `ValidatingAdmissionPolicy 'p' with binding 'b' denied request: …` (validating/dispatcher.go).
  return /violates PodSecurity|denied the request|admission webhook|ValidatingAdmissionPolicy '[^']+'(?: with binding '[^']+')? denied request/.test(message) ? message : undefined;
}
