/*
 * test_sshkey.c - Ed25519 keys made locally: the private file is OpenSSH's
 * format (ssh-keygen reads it back to the same public line), mode 0600,
 * never overwritten, and its public half is read back from it.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/ec2/sshkey.h"

static void test_generate_and_read_back(void **state)
{
	char tmpl[] = "/tmp/mlstack-key-XXXXXX", *dir = mkdtemp(tmpl);
	char *path = ms_asprintf("%s/id_ed25519", dir), *pub = NULL,
	     *again = NULL, *cmd, line[512];
	struct stat st;
	FILE *p;

	(void)state;
	assert_int_equal(ms_sshkey_generate(&pub, path, "dogs-host"), 0);
	assert_non_null(strstr(pub, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
	assert_non_null(strstr(pub, " dogs-host"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ms_sshkey_public_of(&again, path, "dogs-host"), 0);
	assert_string_equal(pub, again);
	/* a file that is there is never overwritten */
	free(again);
	again = NULL;
	assert_int_equal(ms_sshkey_generate(&again, path, "x"), -1);
	assert_non_null(strstr(ms_error_last(), "never overwritten"));
	/* the tool that reads it agrees */
	if (!access("/usr/bin/ssh-keygen", X_OK)) {
		cmd = ms_asprintf("/usr/bin/ssh-keygen -y -f %s", path);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_non_null(fgets(line, sizeof(line), p));
		assert_int_equal(pclose(p), 0);
		line[strcspn(line, "\n")] = '\0';
		assert_non_null(strstr(pub, line)); /* it drops no comment */
		free(cmd);
	}
	unlink(path);
	rmdir(dir);
	free(path);
	free(pub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_and_read_back),
	};

	return cmocka_run_group_tests_name("sshkey", tests, NULL, NULL);
}
