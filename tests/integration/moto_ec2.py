"""moto_ec2 - moto's EC2 where the tests depend on AWS's behaviour
(docs/testing.md, "Emulator extensions"):

  - RunInstances with a ClientToken already used answers the reservation
    that token started, and starts nothing (moto started another
    instance): EC2's idempotency, which keeps a retried RunInstances
    whose answer was lost from starting a second instance;
  - DescribeInstances takes the client-token filter (moto: not
    implemented);
  - instances pass through EC2's intermediate states for
    `control.polls` DescribeInstances answers (moto went straight to the
    end): pending before running (RunInstances, StartInstances),
    stopping before stopped, shutting-down before terminated;
  - DescribeSecurityGroups answers MaxResults groups a page and a
    NextToken for the rest, as EC2 does (moto answered all at once).

install() patches moto in this process; call it before the server starts.
"""

from moto.ec2 import utils as ec2_utils
from moto.ec2.responses import instances as ir
from moto.ec2.responses import security_groups as sgr

R = ir.InstanceResponse
_installed = False
orig_run_instances = R.run_instances


def run_instances(self):
    token = self._get_param("ClientToken")
    if token:
        for reservation in self.ec2_backend.reservations.values():
            if any(getattr(i, "client_token", None) == token
                   for i in reservation.instances):
                return ir.ActionResult(reservation)
    return orig_run_instances(self)


# code of each state, as EC2 numbers them
CODES = {"pending": 0, "running": 16, "shutting-down": 32,
         "terminated": 48, "stopping": 64, "stopped": 80}


def _transit(instance, via, then):
    """instance shows via for the polls, then then."""
    from moto_sagemaker import LOCK, control
    with LOCK:
        instance._mlstack_then = then
        instance._mlstack_left = control.polls
        instance._state.name = via
        instance._state.code = CODES[via]


def _advance(backend):
    from moto_sagemaker import LOCK
    with LOCK:
        for reservation in backend.reservations.values():
            for i in reservation.instances:
                left = getattr(i, "_mlstack_left", 0)
                if not left:
                    continue
                i._mlstack_left = left - 1
                if i._mlstack_left == 0:
                    i._state.name = i._mlstack_then
                    i._state.code = CODES[i._mlstack_then]


def _patched(orig, via, then):
    def patched(self):
        answer = orig(self)
        ids = set(self._get_param("InstanceIds", []))
        for reservation in self.ec2_backend.reservations.values():
            for i in reservation.instances:
                if i.id in ids and i._state.name == then:
                    _transit(i, via, then)
        return answer
    return patched


def run_instances_async(self):
    token = self._get_param("ClientToken")
    known = {i.id for r in self.ec2_backend.reservations.values()
             for i in r.instances}
    answer = run_instances(self)
    for reservation in self.ec2_backend.reservations.values():
        for i in reservation.instances:
            if i.id not in known and (not token or
                                      i.client_token == token):
                _transit(i, "pending", "running")
    return answer


orig_describe = R.describe_instances


def describe_instances(self):
    _advance(self.ec2_backend)
    return orig_describe(self)


def describe_security_groups(self):
    """One page: MaxResults groups after the one NextToken names (a
    group id), in the order moto keeps them."""
    answer = orig_describe_groups(self)
    size = self._get_param("MaxResults")
    if not size:
        return answer
    groups = answer.result["SecurityGroups"]
    token = self._get_param("NextToken")
    start = 0
    if token:
        start = [g.id for g in groups].index(token) + 1
    page = groups[start:start + int(size)]
    result = {"SecurityGroups": page}
    if start + int(size) < len(groups):
        result["NextToken"] = page[-1].id
    return ir.ActionResult(result)


orig_describe_groups = sgr.SecurityGroups.describe_security_groups


def install():
    global _installed
    if _installed:
        return
    _installed = True
    # DescribeInstances' client-token filter (moto: not implemented)
    ec2_utils.filter_dict_attribute_mapping["client-token"] = "client_token"
    R.run_instances = run_instances_async
    R.describe_instances = describe_instances
    sgr.SecurityGroups.describe_security_groups = describe_security_groups
    R.stop_instances = _patched(R.stop_instances, "stopping", "stopped")
    R.start_instances = _patched(R.start_instances, "pending", "running")
    R.terminate_instances = _patched(R.terminate_instances,
                                     "shutting-down", "terminated")
