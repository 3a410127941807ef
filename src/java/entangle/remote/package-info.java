/**
 * Fns run on other members: {@link entangle.remote.RemoteExecution} sends a fn (a closure, with
 * its captured values) as a {@link entangle.remote.RemoteCall}; its value or exception comes
 * back as an {@link entangle.remote.Outcome}, in a {@link entangle.remote.RemoteFuture}, and an
 * exception thrown there as a {@link entangle.remote.RemoteException} naming the member.
 */
package entangle.remote;
