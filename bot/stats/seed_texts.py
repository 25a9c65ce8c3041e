"""What the seeded county's people say (bot/stats/seed_county.py): the categories' weights, topics,
matters raised and answers given on the spot, and visitors' names — all fictional."""

from __future__ import annotations

__all__ = ["CATEGORY_WEIGHTS", "GIVEN", "MATTERS", "ON_THE_SPOT", "SURNAMES", "TOPICS"]

CATEGORY_WEIGHTS = {
    "urban_construction": 18,
    "transport": 16,
    "agriculture": 16,
    "social_security": 12,
    "health": 10,
    "education": 9,
    "environment": 8,
    "disputes": 7,
    "other": 4,
}
TOPICS = {
    "urban_construction": ("村组道路照明", "危房改造", "人居环境整治", "饮水管网维修"),
    "transport": ("通组道路硬化", "客运班车时刻", "村口道路安全", "桥梁维修"),
    "agriculture": ("草果种植技术", "农田灌溉沟渠", "农资供应", "农产品销售"),
    "social_security": ("养老保险缴费", "低保评定", "留守老人照料", "残疾人补贴"),
    "health": ("村卫生室药品", "慢病签约服务", "医保报销", "家庭医生上门"),
    "education": ("学生上学路途远", "校舍维修", "学前教育", "助学政策"),
    "environment": ("垃圾清运", "河道清理", "地质灾害隐患", "畜禽粪污"),
    "disputes": ("宅基地边界纠纷", "土地承包纠纷", "邻里纠纷", "务工工资拖欠"),
    "other": ("政策咨询", "办事流程", "民族文化活动", "网络信号覆盖"),
}
MATTERS = (
    "群众反映{place}{topic}方面的问题，希望尽快协调解决。",
    "{place}的群众希望代表帮助解决{topic}问题。",
    "关于{topic}，{place}群众意见较多，请代表向有关部门反映。",
)
ON_THE_SPOT = (
    "当场就{topic}政策作了解释，群众表示理解。",
    "已当场联系村委会，{topic}问题当天落实。",
    "当场告知{topic}的办理渠道和所需材料。",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何和余罗普木段杨李"
GIVEN = (
    "秀英",
    "建华",
    "玉兰",
    "国强",
    "春梅",
    "志明",
    "桂芳",
    "文斌",
    "海燕",
    "永福",
    "金花",
    "正华",
    "小红",
    "开富",
)
