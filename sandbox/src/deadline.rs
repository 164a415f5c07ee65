//! The request deadline on a store: checked at every epoch tick, at which the instance also
//! yields to other tasks.

use std::time::Duration;

use wasmtime::{Store, UpdateDeadline};

use crate::clock::mark_resumed;
use crate::state::InstanceState;

/// Arms the request deadline on a fresh store: at every epoch tick the instance yields to other
/// tasks, and once it has *run* for `deadline` in total it is stopped with
/// [`DeadlineExceeded`](crate::DeadlineExceeded).
///
/// Time spent queued behind other requests after a yield is not counted: under a burst of
/// logins every instance gets its fair share of the cores, so a wall-clock limit would stop
/// them all together instead of the one that misbehaves. Time the host reports as waited (see
/// [`HostParts::host_wait`](crate::HostParts::host_wait)) is not counted either, for the same
/// reason.
pub(crate) fn arm<D: 'static>(store: &mut Store<InstanceState<D>>, deadline: Duration) {
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |mut cx| {
        let clock = &mut cx.data_mut().clock;
        clock.charge(deadline)?;
        let resumed = clock.resumed();
        Ok(UpdateDeadline::YieldCustom(
            1,
            Box::pin(async move {
                tokio::task::yield_now().await;
                mark_resumed(&resumed);
            }),
        ))
    });
}

/// Starts a request on an instance, new or reused: its deadline starts from zero now.
pub(crate) fn restart<D>(store: &mut Store<InstanceState<D>>) {
    store.data_mut().clock.restart();
    // The epoch moved on while the instance sat idle; count ticks from now.
    store.set_epoch_deadline(1);
}
