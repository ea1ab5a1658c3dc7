"""The console's rollouts pages' words in Simplified Chinese (English is the key)."""

WORDS: dict[str, str] = {
    # the list and a rollout's page
    "Version {version}": "版本 {version}",
    "All rollouts": "全部发布",
    "State": "状态",
    "Failures": "失败终端",
    "{failures} of {most} tolerated": "{failures} 台（容许 {most} 台）",
    "Key": "签名密钥",
    "Published": "发布时间",
    "Stopped: {reason}": "终止原因：{reason}",
    "Paused: the groups already reached keep this version; no further stage starts until it is resumed.": (
        "已暂停：已覆盖的分组继续使用此版本；恢复之前不会开始下一阶段。"
    ),
    "Updated {time}; the page refreshes itself every 10 seconds.": "更新于 {time}，本页每 10 秒自动刷新。",
    "Change the rollout": "调整发布",
    "Pause": "暂停",
    "Resume": "恢复",
    "Why stop it": "停止原因",
    "Stop for good": "终止发布",
    "A stopped rollout cannot be resumed: publish a new version instead.": (
        "终止后不能恢复，如需继续请发布新版本。"
    ),
    "No bundle has been published yet.": "尚未发布任何配置包。",
    "Stage": "阶段",
    "Group": "分组",
    "Healthy on this version": "已正常运行此版本",
    "Failed": "失败",
    "Running it (heartbeat)": "心跳显示在用",
    "Waiting for": "待回报终端",
    "not started": "未开始",
    "every kiosk it targets": "全部目标终端",
    "{healthy} / {total}": "{healthy} / {total}",
    "running": "发布中",
    "paused": "已暂停",
    "stopped": "已终止",
    "complete": "已完成",
    # publishing
    "Publish a signed bundle": "发布已签名配置包",
    "Sign the configuration at your desk with kiosk-admin sign, then upload the bundle file here. "
    "The centre checks it as the kiosks will; the signing key never comes here.": (
        "请先在本机用 kiosk-admin sign 签名，再在此上传配置包文件。"
        "中心按终端的规则校验；签名私钥不会上传到中心。"
    ),
    "Bundle file (JSON, at most {kib} KiB)": "配置包文件（JSON，不超过 {kib} KiB）",
    "Stages: groups in the order they receive it, separated by commas": (
        "发布阶段：按先后顺序填写分组，用逗号分隔"
    ),
    "Kiosks on record": "登记终端数",
    "Failing kiosks tolerated before it stops": "容许失败的终端数（超过即停止）",
    "Publish": "发布",
    "Choose the signed bundle file.": "请选择已签名的配置包文件。",
    "The file is larger than {kib} KiB.": "文件超过 {kib} KiB。",
    "Name at least one group as a stage.": "请至少填写一个分组作为发布阶段。",
    "No such group: {group}": "没有这个分组：{group}",
    "Failures tolerated: a whole number from 0 to {most}.": "容许失败数须为 0 至 {most} 的整数。",
    "Not published: {reason}": "未发布：{reason}",
    # preparing a configuration
    "Prepare a configuration": "编制配置",
    "Edit the parts below; everything else is kept from the starting point. You get the unsigned "
    "configuration as a file: sign it with kiosk-admin sign, then publish the bundle.": (
        "修改下列内容，其余设置沿用所选的起点。提交后下载未签名的配置文件，用 kiosk-admin sign 签名后再发布。"
    ),
    "Start from": "起点",
    "The example configuration": "示例配置",
    "Load": "载入",
    "Nothing was made. Please correct:": "未生成文件，请修改：",
    "The form did not come from this page. Please start again.": "表单内容不完整，请重新开始。",
    "Version it will be signed as": "签名时使用的版本号",
    "Notices": "公告",
    "Times are centre time. Leave a row empty for no notice.": "时间为中心当地时间。不需要的行留空即可。",
    "Id": "编号",
    "Chinese text": "中文内容",
    "English text": "英文内容",
    "Shown from": "开始显示",
    "Until": "结束显示",
    "Services": "服务项目",
    "The home screen shows the services in the order of their positions.": "首页按序号从小到大显示各项服务。",
    "Service": "服务",
    "Position": "序号",
    "Offered": "开放",
    "Opening hours": "服务时间",
    "For services without hours of their own. No day chosen and no times: always open.": (
        "适用于未单独设置时间的服务。不选日期、不填时间即全天开放。"
    ),
    "The other {count} opening slots of the starting point are kept as they are.": (
        "起点配置中的另外 {count} 个时段保持不变。"
    ),
    "Days": "日期",
    "Opens": "开始",
    "Closes": "结束",
    "Session timeouts": "操作超时",
    "Idle time before the kiosk asks (seconds)": "无操作提示前等待（秒）",
    "Countdown before it ends the session (seconds)": "结束前倒计时（秒）",
    "Download the configuration to sign": "下载待签名配置",
    "Account overview": "账户概览",
    "Deposit records": "缴存明细",
    "Loan enquiry": "贷款查询",
    "Withdrawal": "提取",
    "Appointments": "预约",
    "Pre-registration": "预登记",
    "Certificates": "证明打印",
    "Password change": "修改密码",
    "Application status": "办理进度",
    "Complaints and suggestions": "投诉建议",
    "Mon": "周一",
    "Tue": "周二",
    "Wed": "周三",
    "Thu": "周四",
    "Fri": "周五",
    "Sat": "周六",
    "Sun": "周日",
}
