// The runtime config an image gets: planc's default spec (rootless or not),
// with what the image config says laid over it (planner/image-config.ts).
import type { Conversion, UserDb } from '../../planner/image-config.js';
import { imageToSpec } from '../../planner/image-config.js';
import { defaultSpec } from '../default-spec.js';
import type { Selected } from './layout.js';

/** @param users the unpacked image's /etc/passwd and /etc/group; undefined before unpacking (explain, lint). */
export function specFromImage(sel: Selected, rootless: boolean, users: UserDb | undefined): Conversion {
  const base = defaultSpec(rootless, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  // `planc spec` asks for a terminal, as runc's does; an image's process runs without one unless
  // the config is changed, as umoci's unpack writes it (an image config has no say in it).
  (base.process as { terminal: boolean }).terminal = false;
  return imageToSpec(sel.config, base, users, `image config ${sel.manifest.config.digest}`);
}
