/**
 * The working directory of every process the lab starts. A child inherits the CLI's otherwise, and a process that
 * drops to another UID (HAProxy as 1337, a pod's runAsUser) cannot get back into a 0700 one such as root's home:
 * HAProxy then refuses to start ("Impossible to get back to initial directory"). `/` is enterable by every UID.
 */
export const LAB_PROCESS_CWD = '/';
