import { defineVerb } from '../verb.js';

export default defineVerb({
  summary: 'make a one-layer image from a bundle’s rootfs and config.json, in an OCI image layout (made when missing)',
  args: {
    bundle: { description: 'the bundle directory (its config.json gives the image’s command, env, cwd and user)', required: true },
    image: { description: 'LAYOUT[:REF] — the image layout directory and the ref name to give the image (default: latest; an image with that name is replaced)', required: true },
  },
  flags: {
    quiet: { type: 'boolean', char: 'q', description: 'no summary line' },
  },
  async run(args, flags) {
    const { createImage } = await import('../image/create.js');
    await createImage({ bundle: args.bundle, image: args.image, quiet: flags.quiet });
  },
});
