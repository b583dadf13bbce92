// A Node system error in the words the kernel uses, without Node's decoration:
// "ENOENT: no such file or directory, open '/x/.pid.1f2e.tmp'" becomes
// "no such file or directory", so an error line names the path planc was
// given once, not a temp name or a syscall.
export function errnoWords(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return /^E[A-Z0-9]+: ([^,]+)/.exec(msg)?.[1] ?? msg;
}
