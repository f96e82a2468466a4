/*
 * bk-crypt: encrypt and decrypt in the age v1 format, so that a backup
 * leaves the machine readable only by the holder of an identity (or a
 * passphrase), and the age command opens it too.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"

#define IOBUF		(1024 * 1024)

static const char usage_text[] =
"usage: bk-crypt [-afPqv] [-r recipient] ... [-R file] ... [--no-record]\n"
"                [-o file] [file]\n"
"       bk-crypt -p [-afPqv] [--passphrase-file file | --passphrase-fd n]\n"
"                [--no-record] [-o file] [file]\n"
"       bk-crypt -d [-fPqv] [-i identity] ... [--passphrase-file file |\n"
"                --passphrase-fd n] [--max-work-factor n] [-o file] [file]\n"
"       bk-crypt -t [-Pqv] [-i identity] ... [--passphrase-file file |\n"
"                --passphrase-fd n] [--max-work-factor n] [file]\n"
"       bk-crypt --keygen [--pq] [-q] [-o file]\n"
"       bk-crypt -y [-i identity] ...\n";

enum mode { MODE_ENCRYPT, MODE_DECRYPT, MODE_TEST, MODE_KEYGEN, MODE_PUBKEY };

enum {
	OPT_PASSFILE = 256,
	OPT_PASSFD,
	OPT_MAXWF,
	OPT_KEYGEN,
	OPT_PQ,
	OPT_NORECORD,
	OPT_VERSION
};

struct crypt {
	enum mode	 mode;
	int		 armor;
	int		 force;
	int		 passphrase;
	int		 progress;
	const char	*passfile;
	int		 passfd;
	int		 max_logn;
	const char	*output;
	const char	*input;
	int		 pq;		/* --keygen --pq */
	int		 norecord;	/* --no-record */
	struct bk_age_key *rcpts;
	size_t		 nrcpts;
	const char	**idfiles;
	size_t		 nidfiles;
	/* for the checks of the options */
	const char	**rfiles;	/* -R, read once the mode is known */
	size_t		 nrfiles;
	int		 nmodes;	/* of -d, -t, -y and --keygen */
};

/*
 * What holds keys or plaintext while a mode runs.  An error exits from deep
 * inside (a passphrase prompt called by the reader, a write): the exit
 * handler wipes and frees these, so no key outlives the process's last
 * moments in memory and nothing is left unreachable.
 */
static struct {
	struct bk_reader	*r;
	struct bk_age_ids	*ids;
	struct bk_age_writer	*w;
	char			*buf;
} live;

static void
wipe_live(void)
{
	if (live.r != NULL)
		bk_reader_close(live.r);
	bk_age_ids_free(live.ids);
	bk_age_writer_free(live.w);
	if (live.buf != NULL) {
		bk_explicit_bzero(live.buf, IOBUF);
		free(live.buf);
	}
	memset(&live, 0, sizeof(live));
}

/* ---- passphrases: a file, a descriptor or the terminal, never argv ---- */

/* The passphrase, from the source the options named, or the terminal. */
static char *
get_passphrase(struct crypt *c, int confirm, size_t *len)
{
	return bk_passphrase(c->passfile, c->passfd, confirm, len);
}

static int
getpass_cb(void *ctx, char **pass, size_t *len)
{
	*pass = get_passphrase(ctx, 0, len);
	return 0;
}

/* ---- recipients and identities ---- */

/*
 * A recipient from -r (where is NULL: a usage error, 64) or from a line of
 * a recipients file (where names it: bad data, 65).
 */
static void
add_recipient(struct crypt *c, const char *s, const char *where)
{
	const char *why, *verb = "parse";
	int r, secret;

	c->rcpts = bk_reallocarray(c->rcpts, c->nrcpts + 1,
	    sizeof(*c->rcpts));
	if ((r = bk_age_parse_recipient(s, &c->rcpts[c->nrcpts])) == 0) {
		c->nrcpts++;
		return;
	}
	/* Never repeat a secret key in a message. */
	if ((secret = strncasecmp(s, "AGE-SECRET-KEY-", 15) == 0))
		why = "it is a secret key (give its public key: bk-crypt -y)";
	else if (r == -2) {
		verb = "use";
		why = "an X25519 key of low order, with which anyone could "
		    "read the file";
	} else if (strncmp(s, "AGE1", 4) == 0)
		why = "in upper case (age takes recipients in lower case "
		    "only)";
	else
		why = "not an age public key (age1... or age1pq1...)";
	if (where != NULL)
		bk_errx(BK_EX_DATAERR, "could not %s recipient %s: %s", verb,
		    where, why);
	if (secret)
		bk_usage_error("could not parse recipient: %s", why);
	bk_usage_error("could not %s recipient \"%.80s\": %s", verb, s, why);
}

/* A recipients file: one age1... per line, comments and blank lines. */
static void
load_recipients(struct crypt *c, const char *path)
{
	FILE *f;
	char *line = NULL, *where;
	size_t cap = 0, lineno = 0, found = 0;
	ssize_t n;

	if ((f = fopen(path, "r")) == NULL)
		bk_err(bk_open_errno_code(errno), "could not open recipients "
		    "file \"%s\"", path);
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		where = bk_asprintf("in \"%s\" line %zu", path, lineno);
		add_recipient(c, line, where);
		free(where);
		found++;
	}
	if (ferror(f))
		bk_err(BK_EX_IOERR, "could not read recipients file \"%s\"",
		    path);
	fclose(f);
	free(line);
	if (found == 0)
		bk_errx(BK_EX_DATAERR, "recipients file \"%s\" has no "
		    "recipient", path);
}

/*
 * age refuses to mix post-quantum and X25519 recipients: anyone able to
 * break X25519 could then open the file through the classic stanza, and
 * the post-quantum one would protect nothing.  So does bk-crypt.
 */
static void
check_mix(const struct crypt *c)
{
	size_t i;

	for (i = 1; i < c->nrcpts; i++)
		if (c->rcpts[i].type != c->rcpts[0].type)
			bk_usage_error("post-quantum (age1pq1...) and X25519 "
			    "(age1...) recipients cannot be mixed: the X25519 "
			    "one would undo the post-quantum protection");
}

static struct bk_age_ids *
load_identities(struct crypt *c)
{
	struct bk_age_ids *ids = bk_age_ids_new();
	char err[512];
	size_t i;
	int code;

	live.ids = ids;
	for (i = 0; i < c->nidfiles; i++)
		if ((code = bk_age_ids_load(ids, c->idfiles[i], err,
		    sizeof(err))) != 0)
			bk_errx(code, "%s", err);
	return ids;
}

/* ---- modes ---- */

/* Where the ciphertext goes: the output, and its digest for the record. */
struct sink {
	struct bk_out		*out;
	int			 hash;		/* for the record only */
	struct bk_digest	 dg;
	uint64_t		 size;
};

static void
sink_out(void *ctx, const void *buf, size_t n)
{
	struct sink *k = ctx;

	bk_out_write(k->out, buf, n);
	if (k->hash)
		bk_digest_update(&k->dg, buf, n);
	k->size += n;
}

/*
 * The record of the plaintext (common/plain.c): the one inspection of
 * common/inspect.c reads a copy of the plaintext from a pipe, in a thread
 * of its own, while this one encrypts.
 */
struct record {
	pthread_t		 thread;
	int			 fd[2];
	const char		*name;
	struct bk_inspect	 ins;
};

static void *
record_main(void *arg)
{
	struct record *rec = arg;
	struct bk_inspect_opts io;

	memset(&io, 0, sizeof(io));
	io.nodigest = 1;
	bk_inspect_fd(rec->fd[0], rec->name, &io, &rec->ins);
	return NULL;
}

static void
record_start(struct record *rec, const char *name)
{
	rec->name = name;
	if (pipe(rec->fd) < 0)
		bk_err(BK_EX_SOFTWARE, "could not make a pipe");
	(void)fcntl(rec->fd[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(rec->fd[1], F_SETFD, FD_CLOEXEC);
	if (pthread_create(&rec->thread, NULL, record_main, rec) != 0)
		bk_errx(BK_EX_SOFTWARE, "could not start a thread");
}

static void
record_end(struct record *rec)
{
	close(rec->fd[1]);
	pthread_join(rec->thread, NULL);
	close(rec->fd[0]);
}

static int
encrypt_file(struct crypt *c)
{
	struct bk_age_writer *w;
	struct bk_progress pg;
	struct bk_out out;
	struct record rec;
	struct sink k;
	unsigned char dg[BK_DIGEST_MAX];
	char *pass = NULL, *buf, hex[65];
	size_t passlen = 0;
	ssize_t got;
	int fd, recording, slot;

	/* Refuse a missing input or output before asking for anything. */
	fd = bk_open_input(c->input);
	bk_out_open(&out, c->output, (c->force ? BK_OUT_FORCE : 0) |
	    (c->armor ? 0 : BK_OUT_BINARY));
	/* A regular file only: no record beside /dev/null or a FIFO. */
	recording = out.tmp != NULL && !c->norecord;
	if (c->passphrase)
		pass = get_passphrase(c, 1, &passlen);
	memset(&k, 0, sizeof(k));
	k.out = &out;
	if ((k.hash = recording))
		bk_digest_init(&k.dg, bk_digest_lookup("sha256"));
	w = bk_age_writer_new(c->rcpts, c->nrcpts, pass, passlen,
	    BK_AGE_DEFAULT_LOGN, c->armor, sink_out, &k);
	live.w = w;
	if (pass != NULL) {
		bk_explicit_bzero(pass, passlen);
		free(pass);
	}
	if (recording)
		record_start(&rec, bk_input_name(c->input));
	bk_progress_init(&pg, c->progress, "encrypting", 0);
	buf = live.buf = bk_malloc(IOBUF);
	for (;;) {
		got = bk_read_full(fd, buf, IOBUF);
		if (got < 0)
			bk_err(BK_EX_IOERR, "could not read \"%s\"",
			    bk_input_name(c->input));
		if (got == 0)
			break;
		bk_age_writer_write(w, buf, (size_t)got);
		if (recording && bk_write_full(rec.fd[1], buf, (size_t)got) < 0)
			bk_err(BK_EX_SOFTWARE, "could not inspect the "
			    "plaintext");
		bk_progress_add(&pg, (uint64_t)got);
	}
	bk_age_writer_finish(w);
	live.w = NULL;
	bk_progress_end(&pg);
	if (recording) {
		record_end(&rec);
		bk_digest_final(&k.dg, dg);
		bk_hex(hex, dg, 32);
	}
	bk_out_commit(&out);
	if (recording) {
		/* The output stands with its record, or goes. */
		slot = bk_tmp_register(c->output);
		bk_plain_write(c->output, &rec.ins, k.size, hex);
		bk_tmp_forget(slot);
		bk_inspect_free(&rec.ins);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	bk_info("encrypted \"%s\" to %s", bk_input_name(c->input),
	    c->passphrase ? "a passphrase" : c->nrcpts == 1 ? "1 recipient" :
	    "several recipients");
	return BK_EX_OK;
}

/* Decrypts (or, with -t, only checks) the whole input. */
static int
decrypt_file(struct crypt *c)
{
	struct bk_age_ids *ids;
	struct bk_reader *r;
	struct bk_progress pg;
	struct bk_out out;
	int test = c->mode == MODE_TEST;
	char *buf;
	ssize_t got;
	int fd;

	ids = load_identities(c);
	if (c->max_logn > 0)
		bk_age_ids_set_max_logn(ids, c->max_logn);
	if (c->passfile != NULL || c->passfd >= 0 || c->nidfiles == 0)
		bk_age_ids_set_getpass(ids, getpass_cb, c);
	fd = bk_open_input(c->input);
	r = live.r = bk_reader_age(bk_reader_fd(fd, bk_input_name(c->input)),
	    ids);
	if (!test)
		bk_out_open(&out, c->output, c->force ? BK_OUT_FORCE : 0);
	bk_progress_init(&pg, c->progress, test ? "checking" : "decrypting",
	    0);
	buf = live.buf = bk_malloc(IOBUF);
	while ((got = bk_reader_read_full(r, buf, IOBUF)) > 0) {
		if (!test)
			bk_out_write(&out, buf, (size_t)got);
		bk_progress_add(&pg, (uint64_t)got);
	}
	if (got < 0)
		bk_errx(r->code, "could not decrypt \"%s\": %s",
		    bk_input_name(c->input), r->err);
	bk_progress_end(&pg);
	if (!test)
		bk_out_commit(&out);
	bk_info("%s \"%s\": %llu bytes", test ? "checked" : "decrypted",
	    bk_input_name(c->input), (unsigned long long)r->offset);
	wipe_live();
	return BK_EX_OK;
}

/* A new identity in age-keygen's format, never over an existing file. */
static int
keygen(struct crypt *c)
{
	struct bk_age_key id, pub;
	char when[40], *text, *ids, *rcpt;
	struct bk_out out;
	time_t now = time(NULL);
	int tty;

	bk_out_open(&out, c->output, 0);
	/*
	 * As age-keygen, a key that others could read is written (it may be
	 * what the user wants, on a terminal to copy it on paper) with a
	 * warning.  -o makes a file of mode 0600.
	 */
	if ((tty = isatty(out.fd)))
		bk_warnx("writing a secret key to a terminal, where it stays "
		    "on the screen and in its scrollback");
	else
		bk_secret_exposed(out.fd, "the new identity's file (standard "
		    "output)");
	if (bk_age_keygen(c->pq ? BK_AGE_PQ : BK_AGE_X25519, &id, &pub) < 0)
		bk_errx(BK_EX_SOFTWARE, "could not generate a key");
	ids = bk_age_identity_str(&id);
	rcpt = bk_age_recipient_str(&pub);
	bk_format_rfc3339(when, sizeof(when), now, bk_local_offset(now));
	text = bk_asprintf("# created: %s\n# public key: %s\n%s\n", when,
	    rcpt, ids);
	bk_out_write(&out, text, strlen(text));
	bk_explicit_bzero(text, strlen(text));
	bk_explicit_bzero(ids, strlen(ids));
	bk_explicit_bzero(&id, sizeof(id));
	free(text);
	free(ids);
	bk_out_commit(&out);
	/* As age-keygen does: the key went to a file or pipe, say which. */
	if (!tty && bk_verbosity() >= 0)
		fprintf(stderr, "Public key: %s\n", rcpt);
	free(rcpt);
	return BK_EX_OK;
}

/*
 * The recipients of identity files, one a line, read by the reader's own
 * parser (which never leaves a copy of a key in a stdio buffer).
 */
static int
public_keys(struct crypt *c)
{
	struct bk_age_ids *ids;
	struct bk_age_key pub;
	char err[512], *rcpt;
	size_t i, k;
	int code;

	if (c->nidfiles == 0) {
		c->idfiles = bk_reallocarray(NULL, 1, sizeof(*c->idfiles));
		c->idfiles[c->nidfiles++] = "-";
	}
	for (i = 0; i < c->nidfiles; i++) {
		ids = live.ids = bk_age_ids_new();
		if (strcmp(c->idfiles[i], "-") == 0)
			code = bk_age_ids_load_fd(ids, STDIN_FILENO,
			    bk_input_name(NULL), err, sizeof(err));
		else
			code = bk_age_ids_load(ids, c->idfiles[i], err,
			    sizeof(err));
		if (code != 0)
			bk_errx(code, "%s", err);
		for (k = 0; k < bk_age_ids_count(ids); k++) {
			if (bk_age_ids_recipient(ids, k, &pub) < 0)
				bk_errx(BK_EX_SOFTWARE, "could not compute a "
				    "public key");
			rcpt = bk_age_recipient_str(&pub);
			printf("%s\n", rcpt);
			free(rcpt);
		}
		bk_age_ids_free(ids);
		live.ids = NULL;
	}
	return BK_EX_OK;
}

static const char optstring[] = "adfhi:o:PpqR:r:tvy";

static const struct option longopts[] = {
	{ "armor",		no_argument,		NULL, 'a' },
	{ "decrypt",		no_argument,		NULL, 'd' },
	{ "force",		no_argument,		NULL, 'f' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "identity",		required_argument,	NULL, 'i' },
	{ "output",		required_argument,	NULL, 'o' },
	{ "progress",		no_argument,		NULL, 'P' },
	{ "passphrase",		no_argument,		NULL, 'p' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "recipients-file",	required_argument,	NULL, 'R' },
	{ "recipient",		required_argument,	NULL, 'r' },
	{ "test",		no_argument,		NULL, 't' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "public-key",		no_argument,		NULL, 'y' },
	{ "passphrase-file",	required_argument,	NULL, OPT_PASSFILE },
	{ "passphrase-fd",	required_argument,	NULL, OPT_PASSFD },
	{ "max-work-factor",	required_argument,	NULL, OPT_MAXWF },
	{ "keygen",		no_argument,		NULL, OPT_KEYGEN },
	{ "pq",			no_argument,		NULL, OPT_PQ },
	{ "no-record",		no_argument,		NULL, OPT_NORECORD },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 }
};

static void
set_mode(struct crypt *c, enum mode m)
{
	c->mode = m;
	c->nmodes++;
}

/* The options and the input into c, and the verbosity set. */
static void
parse_options(struct crypt *c, int argc, char *argv[])
{
	int ch, verbosity = 0;

	while ((ch = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			c->armor = 1;
			break;
		case 'd':
			set_mode(c, MODE_DECRYPT);
			break;
		case 'f':
			c->force = 1;
			break;
		case 'h':
			bk_print_usage(usage_text);
		case 'i':
			c->idfiles = bk_reallocarray(c->idfiles,
			    c->nidfiles + 1, sizeof(*c->idfiles));
			c->idfiles[c->nidfiles++] = optarg;
			break;
		case 'o':
			c->output = optarg;
			break;
		case 'P':
			c->progress = 1;
			break;
		case 'p':
			c->passphrase = 1;
			break;
		case 'q':
			verbosity = -1;
			break;
		case 'R':
			c->rfiles = bk_reallocarray(c->rfiles, c->nrfiles + 1,
			    sizeof(*c->rfiles));
			c->rfiles[c->nrfiles++] = optarg;
			break;
		case 'r':
			add_recipient(c, optarg, NULL);
			break;
		case 't':
			set_mode(c, MODE_TEST);
			break;
		case 'v':
			if (verbosity >= 0)
				verbosity++;
			break;
		case 'y':
			set_mode(c, MODE_PUBKEY);
			break;
		case OPT_PASSFILE:
			c->passfile = optarg;
			break;
		case OPT_PASSFD:
			c->passfd = bk_parse_passfd(optarg);
			break;
		case OPT_MAXWF:
			c->max_logn = bk_age_parse_max_logn(optarg);
			break;
		case OPT_KEYGEN:
			set_mode(c, MODE_KEYGEN);
			break;
		case OPT_PQ:
			c->pq = 1;
			break;
		case OPT_NORECORD:
			c->norecord = 1;
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	argc -= optind;
	argv += optind;
	bk_set_verbosity(verbosity);
	if (c->pq && c->mode != MODE_KEYGEN)
		bk_usage_error("--pq needs --keygen");
	if (c->nmodes > 1)
		bk_usage_error("-d, -t, -y and --keygen exclude each other");
	if (argc > 1)
		bk_usage_error("too many arguments");
	c->input = argc == 1 ? argv[0] : NULL;
}

/*
 * The combinations refused, the mode's last.  Encrypting reads the -R
 * files first: whether a passphrase comes alone depends on what they hold.
 */
static void
check_options(struct crypt *c)
{
	size_t i;

	if (c->passfile != NULL && c->passfd >= 0)
		bk_usage_error("--passphrase-file and --passphrase-fd exclude "
		    "each other");
	/*
	 * The passphrase's line would be read from the input itself, and
	 * what the read took beyond it lost to the data: refuse, whatever
	 * the mode (-y and --keygen read no passphrase and say so below).
	 */
	if (c->passfd == STDIN_FILENO && (c->input == NULL ||
	    strcmp(c->input, "-") == 0) && (c->mode == MODE_ENCRYPT ||
	    c->mode == MODE_DECRYPT || c->mode == MODE_TEST))
		bk_usage_error("--passphrase-fd 0 is standard input, which is "
		    "also the input: name the input, or use another "
		    "descriptor or --passphrase-file");
	switch (c->mode) {
	case MODE_ENCRYPT:
		if (c->nidfiles > 0 || c->max_logn > 0)
			bk_usage_error("-i and --max-work-factor need -d or -t");
		for (i = 0; i < c->nrfiles; i++)
			load_recipients(c, c->rfiles[i]);
		if (c->passphrase && c->nrcpts > 0)
			bk_usage_error("-p excludes -r and -R (age allows a "
			    "passphrase only alone)");
		check_mix(c);
		if ((c->passfile != NULL || c->passfd >= 0) && !c->passphrase)
			bk_usage_error("--passphrase-file and --passphrase-fd "
			    "need -p when encrypting");
		if (!c->passphrase && c->nrcpts == 0)
			bk_usage_error("no recipient: give -r, -R or -p");
		break;
	case MODE_DECRYPT:
	case MODE_TEST:
		if (c->nrcpts > 0 || c->nrfiles > 0 || c->armor ||
		    c->passphrase)
			bk_usage_error("-r, -R, -a and -p are for encrypting");
		if (c->mode == MODE_TEST && c->output != NULL)
			bk_usage_error("-t writes no output");
		break;
	case MODE_KEYGEN:
		if (c->input != NULL || c->nrcpts > 0 || c->nrfiles > 0 ||
		    c->nidfiles > 0 || c->armor || c->passphrase)
			bk_usage_error("--keygen takes only --pq, -o and -q");
		break;
	default:
		if (c->input != NULL || c->output != NULL || c->nrcpts > 0 ||
		    c->nrfiles > 0 || c->armor || c->passphrase)
			bk_usage_error("-y takes only -i");
		break;
	}
}

int
main(int argc, char *argv[])
{
	struct crypt c;
	int code;

	bk_init(argc, argv);
	atexit(wipe_live);
	memset(&c, 0, sizeof(c));
	c.mode = MODE_ENCRYPT;
	c.passfd = -1;
	parse_options(&c, argc, argv);
	check_options(&c);
	switch (c.mode) {
	case MODE_ENCRYPT:
		code = encrypt_file(&c);
		break;
	case MODE_DECRYPT:
	case MODE_TEST:
		code = decrypt_file(&c);
		break;
	case MODE_KEYGEN:
		code = keygen(&c);
		break;
	default:
		code = public_keys(&c);
		break;
	}
	free(c.rcpts);
	free(c.idfiles);
	free(c.rfiles);
	return bk_finish(code);
}
