/* The admin's files: the admin key (0600, secret) and beside it FILE.net,
 * the network settings it signed (persist-framed, not secret), which every
 * admin command needs to sign records for the right network. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "error.h"
#include "persist.h"

int weft_cli_settings_path(struct weft_cli *cli, const char *keyfile, char *out, size_t len)
{
	int n = snprintf(out, len, "%s.net", keyfile);

	if (n < 0 || (size_t)n >= len || (size_t)n >= PATH_MAX) {
		weft_cli_fail(cli, "admin key path '%s' is too long", keyfile);
		return -1;
	}
	return 0;
}

static void key_error(struct weft_cli *cli, const char *keyfile, int err)
{
	switch (err) {
	case WEFT_EKEYPERM:
		weft_cli_fail(cli, "admin key %s may be read by group or others; make it private: chmod 600 %s",
			      keyfile, keyfile);
		break;
	case -ENOENT:
		weft_cli_fail(cli, "admin key %s not found; give the file 'weft init' wrote with --admin-key FILE",
			      keyfile);
		break;
	case -ELOOP:
		weft_cli_fail(cli, "admin key %s is a symbolic link; give the key file's real path", keyfile);
		break;
	case WEFT_EMALFORMED:
		weft_cli_fail(cli, "%s is not a weft admin key (expected one line \"weft-ed25519 KEY\")", keyfile);
		break;
	default:
		weft_cli_fail(cli, "cannot read admin key %s: %s", keyfile, weft_strerror(err));
		break;
	}
}

int weft_cli_admin_load(struct weft_cli *cli, const char *keyfile, const char *network, weft_keypair_t *kp,
			weft_record_t *settings)
{
	char netpath[PATH_MAX + 8], fkey[WEFT_FPR_LEN + 1], fnet[WEFT_FPR_LEN + 1];
	const char *why = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	if (weft_cli_settings_path(cli, keyfile, netpath, sizeof(netpath)))
		return -1;
	ret = weft_keyfile_read_ed25519(keyfile, kp);
	if (ret) {
		key_error(cli, keyfile, ret);
		goto fail;
	}
	ret = weft_persist_read(netpath, WEFT_PERSIST_NETWORK, &data, &len, &why);
	if (ret == -ENOENT) {
		weft_cli_fail(cli, "network settings %s not found: 'weft init' writes them beside the admin key; "
				   "keep %s next to %s", netpath, netpath, keyfile);
		goto fail;
	}
	if (ret) {
		weft_cli_fail(cli, "cannot read network settings %s: %s", netpath, why ? why : weft_strerror(ret));
		goto fail;
	}
	why = NULL;
	if (weft_record_decode(settings, data, len, &why) != 0 || settings->type != WEFT_REC_NETWORK) {
		weft_cli_fail(cli, "%s does not hold network settings (%s)", netpath,
			      why ? why : "another kind of record");
		goto fail;
	}
	if (sodium_memcmp(settings->signer.b, kp->pk.b, WEFT_PK_LEN) != 0) {
		weft_fingerprint(fkey, &kp->pk);
		weft_fingerprint(fnet, &settings->signer);
		weft_cli_fail(cli, "%s belongs to network %s (%s), but %s is the admin key of network %s; "
				   "use the .net file written with this key",
			      netpath, settings->u.network.name, fnet, keyfile, fkey);
		goto fail;
	}
	if (weft_record_verify(settings) != 0) {
		weft_cli_fail(cli, "the signature in %s does not verify (file altered?); "
				   "restore it from a backup", netpath);
		goto fail;
	}
	if (network && strcmp(network, settings->u.network.name) != 0) {
		weft_cli_fail(cli, "%s is the admin key of network '%s', not '%s'", keyfile,
			      settings->u.network.name, network);
		goto fail;
	}
	free(data);
	return 0;
fail:
	free(data);
	weft_keys_wipe(kp, sizeof(*kp));
	return -1;
}
