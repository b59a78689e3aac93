/** @module The Rampart version, stamped on every scan report and agent hello. Keep in step with package.json. */
export const VERSION = '0.1.0';
