// Flags and args that several verbs share, defined once.
import { Args, Flags } from '@oclif/core';

export const idArg = Args.string({ name: 'container-id', description: 'the container id', required: true });

export const createFlags = {
  bundle: Flags.string({ char: 'b', description: 'path to the root of the bundle directory (default: current directory)' }),
  'pid-file': Flags.string({ description: 'file to write the container init pid to (no trailing newline)' }),
  'console-socket': Flags.string({ description: 'AF_UNIX socket to send the pty master to (not supported yet)' }),
  'preserve-fds': Flags.integer({ description: 'pass N extra fds (3 … 3+N-1) to the container', default: 0, min: 0 }),
  'no-pivot': Flags.boolean({ description: 'use chroot instead of pivot_root (for ramdisk roots)' }),
  'no-new-keyring': Flags.boolean({ description: 'accepted for runc compatibility: planc never creates a session keyring' }),
};
