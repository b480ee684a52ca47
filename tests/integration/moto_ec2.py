"""moto_ec2 - moto's EC2 where the tests depend on AWS's behaviour
(docs/testing.md, "Emulator extensions"):

  - RunInstances with a ClientToken already used answers the reservation
    that token started, and starts nothing (moto started another
    instance): EC2's idempotency, which keeps a retried RunInstances
    whose answer was lost from starting a second instance.

install() patches moto in this process; call it before the server starts.
"""

from moto.ec2.responses import instances as ir

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


def install():
    global _installed
    if _installed:
        return
    _installed = True
    R.run_instances = run_instances
