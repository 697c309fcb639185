/** The errno values kernel-side code returns (negated), from include/uapi/asm-generic/errno-base.h. */
export const ENOENT = 2;
export const EIO = 5;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
/** include/uapi/asm-generic/errno.h. */
export const ETIMEDOUT = 110;
