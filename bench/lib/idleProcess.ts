/** Memory baseline for the memory suite: node with the tsx loader, doing nothing. */
process.stdout.write('idle\n');
setInterval(() => undefined, 60_000);
