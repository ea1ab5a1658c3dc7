"""The operator accounts page's words in Simplified Chinese (English is the key)."""

WORDS: dict[str, str] = {
    "Operators": "账号",  # short: the top bar stays one line at 1366 px
    "Operator accounts": "操作员账号",
    "Role": "角色",
    "The password again": "再次输入密码",
    "Add an operator": "添加账号",
    "A username is 3 to 40 lower-case letters, digits, dots, dashes or underscores, a letter first; a "
    "password at least {count} characters. A new role, a new password or a disable signs the operator out "
    "at once.": (
        "用户名为 3 至 40 位小写字母、数字、点、连字符或下划线，以字母开头；密码至少 {count} 位。"
        "修改角色、重设密码或停用账号后，该账号立即退出登录。"
    ),
    "Created": "创建时间",
    "Last sign-in": "最近登录",
    "Change": "修改",
    "(you)": "（本人）",
    "Disabled": "已停用",
    "Locked until {time}": "锁定至 {time}",
    "{count} wrong passwords in a row": "连续 {count} 次密码错误",
    "Unlock": "解除锁定",
    "Change {name}…": "修改 {name}…",
    "Change the role": "修改角色",
    "New password": "新密码",
    "Set the password": "设置密码",
    "Disable {name}": "停用 {name}",
    "Enable {name}": "启用 {name}",
    # central_server/console/accounts.py's and operators.py's refusals
    "unknown role {role}; roles: viewer, operator, administrator": (
        "未知角色 {role}；可选角色：查看员、操作员、管理员"
    ),
    "the password needs at least {count} characters": "密码至少需要 {count} 位",
    "the password may have at most {count} characters": "密码最多 {count} 位",
    "a username is 3 to 40 characters: lower-case letters, digits, '.', '_' or '-', a letter first": (
        "用户名须为 3 至 40 位小写字母、数字、“.”、“_”或“-”，以字母开头"
    ),
    "operator {username} exists already": "账号 {username} 已存在",
    "no operator {username}": "没有账号 {username}",
    "The two passwords differ.": "两次输入的密码不一致。",
    "You may not change your own role: ask another administrator.": (
        "不能修改自己的角色，请联系其他管理员。"
    ),
    "You may not disable yourself: ask another administrator.": "不能停用自己的账号，请联系其他管理员。",
}
