/* client-tui/core/net.c's URL reading, as an invite's relay address is used:
 * only wss:// is accepted, the port defaults to 443, and malformed or
 * oversized addresses are refused before anything connects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client-tui/core/net.h"

static void accepts_host_port_path(void **state)
{
	char host[64], path[64];
	int port = 0;

	(void)state;
	assert_int_equal(net_parse_url("wss://127.0.0.1:7443", host, sizeof host, &port, path, sizeof path), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 7443);
	assert_string_equal(path, "/");
	assert_int_equal(net_parse_url("wss://relay.example.org/ws", host, sizeof host, &port, path, sizeof path), 0);
	assert_string_equal(host, "relay.example.org");
	assert_int_equal(port, 443);
	assert_string_equal(path, "/ws");
	assert_int_equal(net_parse_url("wss://[::1]:9000/", host, sizeof host, &port, path, sizeof path), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 9000);
}

static void refuses_what_is_not_a_wss_url(void **state)
{
	static const char *const bad[] = {
		"ws://127.0.0.1:7443", "https://x", "wss://", "wss://:7443", "wss://h:0",
		"wss://h:65536", "wss://h:12ab", "wss://h:", "wss://[::1", "wss://h:1x/", NULL
	};
	char host[64], path[64];
	int port = 0, i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		assert_int_not_equal(net_parse_url(bad[i], host, sizeof host, &port, path, sizeof path), 0);
	assert_int_not_equal(net_parse_url(NULL, host, sizeof host, &port, path, sizeof path), 0);
}

static void refuses_a_host_too_long_for_its_buffer(void **state)
{
	char host[8], path[64];
	int port = 0;

	(void)state;
	assert_int_not_equal(net_parse_url("wss://a-long-host-name:1", host, sizeof host, &port, path, sizeof path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_host_port_path),
		cmocka_unit_test(refuses_what_is_not_a_wss_url),
		cmocka_unit_test(refuses_a_host_too_long_for_its_buffer),
	};
	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
