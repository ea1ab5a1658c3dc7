"""The console's words in Simplified Chinese (the console's first language); English is the key itself.
A dictionary rather than gettext catalogues: the console is one small package of templates, and a test
checks that every `t("…")` in them has its Chinese here."""

from __future__ import annotations

from central_server.console.words import fleet, operators, rollouts, scorecard, terminals, work

LANGUAGES = ("zh_CN", "en")

_SHARED: dict[str, str] = {
    "HPF kiosk console": "公积金自助终端管理台",
    "Sign in": "登录",
    "Sign out": "退出登录",
    "Username": "用户名",
    "Password": "密码",
    "The username or password is not right.": "用户名或密码不正确。",
    "Too many wrong passwords. Try again in {minutes} min.": "密码错误次数过多，请 {minutes} 分钟后再试。",
    "The form has expired. Please try again.": "页面已过期，请重试。",
    "Fleet": "终端状态",
    "Rollouts": "配置发布",
    "Scorecard": "服务评价",
    "Follow-up cases": "回访工单",
    "Alerts": "异常告警",
    "Customers": "客户视图",
    "Operator log": "操作日志",
    "{name} ({role})": "{name}（{role}）",
    "viewer": "查看员",
    "operator": "操作员",
    "administrator": "管理员",
    "You may not open this page": "您无权打开此页面",
    "Your role ({role}) does not allow it. Ask an administrator.": (
        "您的角色（{role}）无此权限，请联系管理员。"
    ),
    "Page not found": "页面不存在",
    "Back to the fleet": "返回终端状态",
    "When": "时间",
    "Operator": "操作人",
    "Action": "操作",
    "Target": "对象",
    "Detail": "详情",
    "Address": "来源地址",
    "Nothing yet.": "暂无记录。",
    "Skip to the content": "跳到正文",
    "Main": "主导航",
}

ZH: dict[str, str] = {
    **_SHARED,
    **fleet.WORDS,
    **rollouts.WORDS,
    **scorecard.WORDS,
    **work.WORDS,
    **terminals.WORDS,
    **operators.WORDS,
}


def translate(text: str, language: str) -> str:
    if language == "en":
        return text
    return ZH.get(text, text)
