/*
 * gz-blocks.c: what cutting the input into blocks costs bk-gz in size.
 * Compresses standard input with libdeflate at a level, in blocks of each
 * size given, each block on its own as bk-gz does (a member: 28 bytes of
 * header and trailer), and prints the bytes out and the processor time.
 *   gz-blocks LEVEL SIZE... < input
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libdeflate.h>

int
main(int argc, char *argv[])
{
	struct libdeflate_compressor *c;
	struct timespec a, b;
	unsigned char *in, *out;
	unsigned long long total;
	size_t block, cap, n;
	int i;

	if (argc < 3 || (c = libdeflate_alloc_compressor(atoi(argv[1]))) ==
	    NULL) {
		fprintf(stderr, "usage: gz-blocks level size... < input\n");
		return 64;
	}
	for (i = 2; i < argc; i++) {
		block = strtoul(argv[i], NULL, 0);
		cap = libdeflate_deflate_compress_bound(c, block);
		if ((in = malloc(block)) == NULL ||
		    (out = malloc(cap)) == NULL)
			return 70;
		rewind(stdin);
		total = 0;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		while ((n = fread(in, 1, block, stdin)) > 0) {
			total += libdeflate_deflate_compress(c, in, n, out,
			    cap) + 28;
			(void)libdeflate_crc32(0, in, n);
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		printf("%zu %llu %.2f\n", block, total,
		    (double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
		free(in);
		free(out);
	}
	libdeflate_free_compressor(c);
	return 0;
}
