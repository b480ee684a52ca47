"""moto_iam - moto's IAM, where it differs from AWS in a way the tests
meet (docs/testing.md, "Emulator extensions"):

  - RemoveRoleFromInstanceProfile of a role the profile does not hold is
    NoSuchEntity (moto answered 500), as when a retried call finds its
    first attempt done.

install() patches moto in this process; call it before the server starts.
"""

from moto.iam import models as iam_models

B = iam_models.IAMBackend
_installed = False


def remove_role_from_instance_profile(self, profile_name, role_name):
    profile = self.get_instance_profile(profile_name)
    role = self.get_role(role_name)
    if role not in profile.roles:
        raise iam_models.NoSuchEntity(
            f"Role {role_name} is not in instance profile {profile_name}.")
    profile.roles.remove(role)


def install():
    global _installed
    if _installed:
        return
    _installed = True
    B.remove_role_from_instance_profile = remove_role_from_instance_profile
