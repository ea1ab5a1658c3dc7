"""The kiosk register page's words in Simplified Chinese (English is the key)."""

WORDS: dict[str, str] = {
    "Terminals": "终端登记",
    "Registered kiosks": "终端登记",
    "Kiosk id": "终端编号",
    "Group (the hall)": "分组（所在大厅）",
    "Register a kiosk": "登记新终端",
    "Its secret is shown once, on the next page. A revoked kiosk's id cannot be used again.": (
        "终端密钥只在下一页显示一次。已注销终端的编号不能再次使用。"
    ),
    "Kiosk": "终端",
    "Group": "分组",
    "State": "状态",
    "Registered": "登记",
    "Revoked": "已注销",
    "Revoke": "注销",
    "Active": "在用",
    "No longer in the terminals file": "已移出终端清单",
    "Terminals file": "终端配置文件",
    "Demo": "演示",
    "Revoke…": "注销…",
    "Why (recorded in the operator log)": "注销原因（记入操作日志）",
    "Revoke {id} now": "立即注销 {id}",
    "Kiosk {id} registered": "终端 {id} 已登记",
    "Copy its secret now: it is not shown again, here or anywhere.": (
        "请立即复制终端密钥：此后在任何地方都不会再显示。"
    ),
    "If it is lost, revoke the kiosk and register it again under a new id.": (
        "如密钥遗失，请注销该终端，再以新编号重新登记。"
    ),
    "Secret": "终端密钥",
    "The kiosk's settings": "终端配置",
    "In the kiosk's settings file (kiosk.toml), in these sections:": (
        "写入终端配置文件（kiosk.toml）的以下各节："
    ),
    "Better: put the secret alone in a file only the kiosk user may read (mode 0600) and name it with "
    "terminal_secret_file instead of terminal_secret.": (
        "更安全的做法：把密钥单独存入仅终端运行用户可读的文件（权限 0600），"
        "用 terminal_secret_file 指向该文件，代替 terminal_secret。"
    ),
    "Back to the registered kiosks": "返回终端登记",
    # central_server/terminal_registry.py's refusals
    "A kiosk id is 1 to 64 letters, digits, dots, dashes or underscores.": (
        "终端编号须为 1 至 64 位字母、数字、点、连字符或下划线。"
    ),
    "A group is 1 to 64 letters, digits, dots, dashes or underscores.": (
        "分组须为 1 至 64 位字母、数字、点、连字符或下划线。"
    ),
    "This kiosk id is taken (perhaps by a revoked kiosk): choose another.": (
        "该终端编号已被使用（可能属于已注销的终端），请另选编号。"
    ),
    "Write why the kiosk is revoked.": "请填写注销原因。",
    "The reason is too long.": "原因过长。",
    "There is no such kiosk.": "没有这台终端。",
    "This kiosk is revoked already.": "该终端已注销。",
}
