// SPDX-License-Identifier: MIT
/* snnet counters: rtnl stats64 and `ethtool -S`, plus the other ethtool queries. */
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/string.h>

#include "snnet_priv.h"

static const char snnet_stat_names[SNNET_NSTATS][ETH_GSTRING_LEN] = {
	[SNNET_TX_PACKETS] = "tx_packets",
	[SNNET_TX_BYTES] = "tx_bytes",
	[SNNET_TX_KICKS] = "tx_kicks",
	[SNNET_TX_GSO] = "tx_gso_packets",
	[SNNET_TX_CSUM] = "tx_csum_partial",
	[SNNET_TX_INDIRECT] = "tx_indirect",
	[SNNET_TX_STOPS] = "tx_queue_stops",
	[SNNET_TX_WAKES] = "tx_queue_wakes",
	[SNNET_TX_BUSY] = "tx_busy",
	[SNNET_TX_DROPPED] = "tx_dropped",
	[SNNET_TX_ERRORS] = "tx_device_errors",
	[SNNET_TX_BAD_COMPLETIONS] = "tx_bad_completions",
	[SNNET_TX_TIMEOUTS] = "tx_timeouts",
	[SNNET_RX_PACKETS] = "rx_packets",
	[SNNET_RX_BYTES] = "rx_bytes",
	[SNNET_RX_KICKS] = "rx_kicks",
	[SNNET_RX_GSO] = "rx_gso_packets",
	[SNNET_RX_CSUM_VALID] = "rx_csum_valid",
	[SNNET_RX_CSUM_PARTIAL] = "rx_csum_partial",
	[SNNET_RX_NO_BUFFER] = "rx_no_buffer",
	[SNNET_RX_ALLOC_FAILS] = "rx_alloc_failures",
	[SNNET_RX_DROPPED] = "rx_dropped",
	[SNNET_RX_LENGTH_ERRORS] = "rx_length_errors",
	[SNNET_RX_FRAME_ERRORS] = "rx_frame_errors",
	[SNNET_RX_ERRORS] = "rx_device_errors",
	[SNNET_RX_BAD_COMPLETIONS] = "rx_bad_completions",
	[SNNET_NAPI_POLLS] = "napi_polls",
	[SNNET_NAPI_REPOLLS] = "napi_rearm_repolls",
	[SNNET_INTERRUPTS] = "interrupts",
};

/* A consistent snapshot of every counter: groups are summed, each counter lives in one. */
static void snnet_read_stats(const struct snnet_priv *p, u64 *out)
{
	const struct snnet_stats *g;
	unsigned int start, i, k;

	memset(out, 0, SNNET_NSTATS * sizeof(*out));
	for (k = 0; k < SNNET_NGROUPS; k++) {
		u64 v[SNNET_NSTATS];

		g = &p->stats[k];
		do {
			start = u64_stats_fetch_begin(&g->syncp);
			for (i = 0; i < SNNET_NSTATS; i++)
				v[i] = u64_stats_read(&g->v[i]);
		} while (u64_stats_fetch_retry(&g->syncp, start));
		for (i = 0; i < SNNET_NSTATS; i++)
			out[i] += v[i];
	}
}

void snnet_get_stats64(struct net_device *nd, struct rtnl_link_stats64 *s)
{
	u64 v[SNNET_NSTATS];

	snnet_read_stats(netdev_priv(nd), v);
	s->tx_packets = v[SNNET_TX_PACKETS];
	s->tx_bytes = v[SNNET_TX_BYTES];
	s->tx_dropped = v[SNNET_TX_DROPPED] + v[SNNET_TX_BUSY];
	s->tx_errors = v[SNNET_TX_ERRORS] + v[SNNET_TX_BAD_COMPLETIONS];
	s->rx_packets = v[SNNET_RX_PACKETS];
	s->rx_bytes = v[SNNET_RX_BYTES];
	s->rx_dropped = v[SNNET_RX_DROPPED];
	s->rx_length_errors = v[SNNET_RX_LENGTH_ERRORS];
	s->rx_frame_errors = v[SNNET_RX_FRAME_ERRORS];
	s->rx_errors = v[SNNET_RX_LENGTH_ERRORS] + v[SNNET_RX_FRAME_ERRORS] +
		       v[SNNET_RX_ERRORS] + v[SNNET_RX_BAD_COMPLETIONS];
}

static int snnet_get_sset_count(struct net_device *nd, int sset)
{
	return sset == ETH_SS_STATS ? SNNET_NSTATS : -EOPNOTSUPP;
}

static void snnet_get_strings(struct net_device *nd, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		memcpy(data, snnet_stat_names, sizeof(snnet_stat_names));
}

static void snnet_get_ethtool_stats(struct net_device *nd, struct ethtool_stats *es, u64 *data)
{
	if (netif_running(nd))
		snnet_tx_sync(netdev_priv(nd));
	snnet_read_stats(netdev_priv(nd), data);
}

static void snnet_get_drvinfo(struct net_device *nd, struct ethtool_drvinfo *info)
{
	const struct snnet_priv *p = netdev_priv(nd);

	strscpy(info->driver, SNNET_DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, dev_name(p->dev), sizeof(info->bus_info));
	snprintf(info->fw_version, sizeof(info->fw_version), "snnet v%u, features %#x",
		 SNNET_VERSION, p->features);
}

const struct ethtool_ops snnet_ethtool_ops = {
	.get_drvinfo = snnet_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = snnet_get_sset_count,
	.get_strings = snnet_get_strings,
	.get_ethtool_stats = snnet_get_ethtool_stats,
};
