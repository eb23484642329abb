/** What an admission plugin answers for a pod: admitted, or refused with the API server's message. */
export type AdmissionDecision = { readonly allowed: true } | { readonly allowed: false; readonly message: string };
