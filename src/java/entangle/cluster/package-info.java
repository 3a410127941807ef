/**
 * Hazelcast, as entangle uses it: {@link entangle.cluster.HazelcastCluster} is this JVM's place
 * in the cluster (the record maps, the versioned write of {@link entangle.cluster.VersionedWrite},
 * the {@link entangle.cluster.HandOff} to every other member, the entry events' backstop),
 * started by {@link entangle.cluster.MemberStart} from {@link entangle.cluster.HazelcastConfigs}.
 * Beside it: who is let in
 * ({@link entangle.cluster.Admission}, {@link entangle.cluster.ClusterSecret}), client members
 * ({@link entangle.cluster.ClientMembers}), the members a wait names
 * ({@link entangle.cluster.AwaitedMembers}), healing after a split
 * ({@link entangle.cluster.NewestRecordMergePolicy}, {@link entangle.cluster.SplitSearch}), code
 * evaluated on other members ({@link entangle.cluster.RemoteEval}, {@link entangle.cluster.EvalOn})
 * and Hazelcast's log ({@link entangle.cluster.HazelcastLogging}).
 */
package entangle.cluster;
