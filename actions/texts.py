"""What the bot says in the resident's language, and which version of an answer they get.

Japanese is replies/ (the package); this module adds English, Chinese (simplified), Korean,
Vietnamese and Portuguese for every fixed text of the actions. An FAQ answer is given in the
resident's language when the entry has that translation; otherwise in やさしい日本語 when the
entry has it, else in Japanese, each time with one line in the resident's language that says so
and offers a person. No Rasa imports here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import replies
from faq.language import FOREIGN_LANGUAGES, JAPANESE, normalize_language

# key -> {language: text}; Japanese comes from replies/.
TEXTS: Dict[str, Dict[str, str]] = {
    "yes": {"en": "Yes", "zh": "是", "ko": "네", "vi": "Có", "pt": "Sim"},
    "no": {"en": "No", "zh": "不是", "ko": "아니요", "vi": "Không", "pt": "Não"},
    "none_of_these": {
        "en": "None of these", "zh": "都不是", "ko": "해당 없음", "vi": "Không có cái nào đúng",
        "pt": "Nenhuma destas",
    },
    "talk_to_staff": {
        "en": "Talk to staff", "zh": "与工作人员交谈", "ko": "직원과 이야기하기",
        "vi": "Nói chuyện với nhân viên", "pt": "Falar com um funcionário",
    },
    "solved": {
        "en": "Did this solve your question?", "zh": "您的问题解决了吗？", "ko": "해결되었나요?",
        "vi": "Câu hỏi của bạn đã được giải quyết chưa?", "pt": "Isso resolveu a sua dúvida?",
    },
    "anything_else": {
        "en": "Do you have any other questions?", "zh": "还有其他问题吗？", "ko": "다른 질문이 있으신가요?",
        "vi": "Bạn còn câu hỏi nào khác không?", "pt": "Tem mais alguma pergunta?",
    },
    "glad": {
        "en": "I'm glad it helped.", "zh": "很高兴能帮到您。", "ko": "도움이 되어 다행입니다.",
        "vi": "Rất vui vì đã giúp được bạn.", "pt": "Que bom que ajudou.",
    },
    "choose": {
        "en": "Is one of these close to what you want to know?", "zh": "以下哪一项接近您想了解的内容？",
        "ko": "다음 중 알고 싶은 내용에 가까운 것이 있나요?",
        "vi": "Trong các mục sau, có mục nào gần với điều bạn muốn biết không?",
        "pt": "Alguma destas opções está próxima do que você quer saber?",
    },
    "other_candidates": {
        "en": "Sorry. Is what you are looking for among these?", "zh": "对不起。您要找的内容在这些当中吗？",
        "ko": "죄송합니다. 찾으시는 내용이 이 중에 있나요?",
        "vi": "Xin lỗi. Điều bạn tìm có trong số này không?",
        "pt": "Desculpe. O que você procura está entre estas opções?",
    },
    "no_match": {
        "en": "Sorry, I could not find information to answer that.", "zh": "对不起，没有找到可以回答的信息。",
        "ko": "죄송합니다. 답변할 수 있는 정보를 찾지 못했습니다.",
        "vi": "Xin lỗi, tôi không tìm thấy thông tin để trả lời.",
        "pt": "Desculpe, não encontrei informações para responder.",
    },
    "nearest": {
        "en": "Sorry, I could not find a clear answer. These are the closest topics.",
        "zh": "对不起，没有找到明确的回答。以下是相近的内容。",
        "ko": "죄송합니다. 명확한 답변을 찾지 못했습니다. 가까운 내용은 다음과 같습니다.",
        "vi": "Xin lỗi, tôi không tìm thấy câu trả lời rõ ràng. Đây là các nội dung gần nhất.",
        "pt": "Desculpe, não encontrei uma resposta clara. Estes são os temas mais próximos.",
    },
    "sorry": {"en": "Sorry.", "zh": "对不起。", "ko": "죄송합니다.", "vi": "Xin lỗi.", "pt": "Desculpe."},
    "offer_staff": {
        "en": " Shall I connect you to a staff member?", "zh": "要为您转接工作人员吗？",
        "ko": " 직원에게 연결해 드릴까요?", "vi": " Bạn có muốn nói chuyện với nhân viên không?",
        "pt": " Quer que eu chame um funcionário?",
    },
    "declined_staff": {
        "en": "All right. You can also ask again in other words.", "zh": "好的。您也可以换一种说法再问一次。",
        "ko": "알겠습니다. 다른 표현으로 다시 질문하셔도 됩니다.",
        "vi": "Vâng. Bạn cũng có thể hỏi lại bằng cách khác.",
        "pt": "Tudo bem. Você também pode perguntar de novo com outras palavras.",
    },
    "out_of_scope": {
        "en": "Sorry, the city office cannot answer that question.", "zh": "对不起，市政府无法回答这个问题。",
        "ko": "죄송합니다. 그 질문에는 시청으로서 답변드릴 수 없습니다.",
        "vi": "Xin lỗi, văn phòng thành phố không thể trả lời câu hỏi đó.",
        "pt": "Desculpe, a prefeitura não pode responder a essa pergunta.",
    },
    "ask_city": {
        "en": " Questions about the city's procedures and facilities are welcome.",
        "zh": "欢迎咨询本市的手续和设施。", "ko": " 시의 절차나 시설에 관한 질문은 언제든지 해 주세요.",
        "vi": " Hãy hỏi về các thủ tục và cơ sở của thành phố.",
        "pt": " Perguntas sobre os procedimentos e instalações da cidade são bem-vindas.",
    },
    "error": {
        "en": "Sorry, I could not prepare an answer just now. The staff have been notified; please try again a little later.",
        "zh": "对不起，暂时无法准备回答。已通知工作人员，请稍后再试。",
        "ko": "죄송합니다. 지금은 답변을 준비하지 못했습니다. 담당자에게 알렸으니 잠시 후 다시 시도해 주세요.",
        "vi": "Xin lỗi, hiện không thể chuẩn bị câu trả lời. Đã báo cho nhân viên, vui lòng thử lại sau.",
        "pt": "Desculpe, não foi possível preparar a resposta agora. A equipe foi avisada; tente novamente mais tarde.",
    },
    "handoff": {
        "en": "I will connect you to a staff member. Please wait here. (Reception number {ticket_id})",
        "zh": "现在为您转接工作人员，请稍候。（受理编号 {ticket_id}）",
        "ko": "직원에게 연결해 드리겠습니다. 이대로 기다려 주세요. (접수 번호 {ticket_id})",
        "vi": "Tôi sẽ kết nối bạn với nhân viên. Vui lòng chờ. (Số tiếp nhận {ticket_id})",
        "pt": "Vou chamar um funcionário. Aguarde, por favor. (Número de atendimento {ticket_id})",
    },
    "after_hours": {
        "en": "The office is closed now. Staff will be back {back_at} (Japanese time). Send your request and a staff member will contact you.",
        "zh": "现在是非办公时间。工作人员将于{back_at}开始处理。请发送您的事情，负责人会联系您。",
        "ko": "지금은 업무 시간 외입니다. 직원은 {back_at}부터 대응합니다. 용건을 보내 주시면 담당자가 연락드립니다.",
        "vi": "Hiện ngoài giờ làm việc. Nhân viên sẽ làm việc lại từ {back_at}. Hãy gửi nội dung, nhân viên sẽ liên lạc lại.",
        "pt": "Fora do horário de atendimento. A equipe volta {back_at}. Envie o seu pedido e um funcionário entrará em contato.",
    },
    "message_taken": {
        "en": "Received (reception number {ticket_id}). A staff member will contact you after {back_at}.",
        "zh": "已受理（受理编号 {ticket_id}）。{back_at}以后负责人会联系您。",
        "ko": "접수했습니다(접수 번호 {ticket_id}). {back_at} 이후에 담당자가 연락드립니다.",
        "vi": "Đã tiếp nhận (số {ticket_id}). Nhân viên sẽ liên lạc sau {back_at}.",
        "pt": "Recebido (número {ticket_id}). Um funcionário entrará em contato depois de {back_at}.",
    },
    # One line after an answer that is not in the resident's language.
    "easy_note": {
        "en": "This answer is in simple Japanese (there is no English version yet). If you need help, you can talk to a staff member.",
        "zh": "这个回答是简单日语（还没有中文版）。如需帮助，可以与工作人员交谈。",
        "ko": "이 답변은 쉬운 일본어입니다(아직 한국어판이 없습니다). 도움이 필요하시면 직원과 이야기할 수 있습니다.",
        "vi": "Câu trả lời này bằng tiếng Nhật dễ hiểu (chưa có bản tiếng Việt). Nếu cần giúp đỡ, bạn có thể nói chuyện với nhân viên.",
        "pt": "Esta resposta está em japonês simples (ainda não há versão em português). Se precisar de ajuda, pode falar com um funcionário.",
    },
    "japanese_note": {
        "en": "This answer is only available in Japanese. If you need help, you can talk to a staff member.",
        "zh": "这个回答只有日语版。如需帮助，可以与工作人员交谈。",
        "ko": "이 답변은 일본어로만 제공됩니다. 도움이 필요하시면 직원과 이야기할 수 있습니다.",
        "vi": "Câu trả lời này chỉ có bằng tiếng Nhật. Nếu cần giúp đỡ, bạn có thể nói chuyện với nhân viên.",
        "pt": "Esta resposta só está disponível em japonês. Se precisar de ajuda, pode falar com um funcionário.",
    },
    "contact": {"en": "Contact: ", "zh": "咨询：", "ko": "문의: ", "vi": "Liên hệ: ", "pt": "Contato: "},
    "details": {"en": "Details: ", "zh": "详情：", "ko": "자세히: ", "vi": "Chi tiết: ", "pt": "Detalhes: "},
}
_JAPANESE = {
    "yes": replies.YES["title"],
    "no": replies.NO["title"],
    "none_of_these": replies.NONE_OF_THESE["title"],
    "talk_to_staff": replies.TALK_TO_STAFF["title"],
    "solved": replies.SOLVED_QUESTION,
    "anything_else": replies.ANYTHING_ELSE,
    "glad": replies.GLAD.removesuffix(replies.ANYTHING_ELSE),
    "choose": replies.CHOOSE,
    "other_candidates": replies.OTHER_CANDIDATES,
    "no_match": replies.NO_MATCH,
    "nearest": replies.NEAREST,
    "sorry": "申し訳ありません。",
    "offer_staff": replies.OFFER_STAFF,
    "declined_staff": replies.DECLINED_STAFF.removesuffix(replies.ANYTHING_ELSE),
    "out_of_scope": replies.OUT_OF_SCOPE,
    "ask_city": "市の手続きや施設についてのご質問でしたら、お気軽にどうぞ。",
    "error": replies.ERROR,
    "handoff": "職員におつなぎします。順番にご案内しますので、このままお待ちください。（受付番号 {ticket_id}）",
    "after_hours": (
        "ただいま受付時間外です。職員は{back_at}から対応します。"
        "ご用件をお送りいただければ、担当者から折り返しご連絡します。"
    ),
    "message_taken": "承りました（受付番号 {ticket_id}）。{back_at}以降に、担当者からご連絡します。",
    "contact": "お問い合わせ：",
    "details": "詳しくは：",
}


def language_of(value: Any) -> str:
    """A supported language code; Japanese for anything else."""
    return normalize_language(value) or JAPANESE


def text(key: str, language: Optional[str], **values: Any) -> str:
    """A fixed text in `language` (Japanese when it is not one of the foreign ones)."""
    lang = language_of(language)
    template = TEXTS[key].get(lang) if lang in FOREIGN_LANGUAGES else None
    template = template or _JAPANESE[key]
    return template.format(**values) if values else template


def button(key: str, payload: str, language: Optional[str]) -> Dict[str, str]:
    return {"title": text(key, language), "payload": payload}


def yes_no(language: Optional[str]) -> List[Dict[str, str]]:
    return [button("yes", replies.YES["payload"], language), button("no", replies.NO["payload"], language)]


def talk_to_staff(language: Optional[str]) -> Dict[str, str]:
    return button("talk_to_staff", replies.TALK_TO_STAFF["payload"], language)


@dataclass(frozen=True)
class LocalizedAnswer:
    text: str  # the chat answer, contact lines included
    short_text: str  # what the phone reads
    question: str  # the entry's question in that version
    version: str  # the language of the answer: a language code, "easy_ja" or "ja"
    note: str = ""  # the line in the resident's language when the answer is not in it

    @property
    def offers_staff(self) -> bool:
        return bool(self.note)


def _with_contact(body: str, entry: Any, language: Optional[str]) -> str:
    return replies.answer_text(entry, body, text("contact", language), text("details", language))


def localized_answer(entry: Any, language: Optional[str]) -> LocalizedAnswer:
    """The entry's answer for a resident writing in `language`."""
    lang = language_of(language)
    if lang == JAPANESE:
        return LocalizedAnswer(replies.answer_text(entry), entry.short_answer or entry.answer,
                               entry.question, JAPANESE)
    translated = entry.translation(lang)
    if translated["answer"]:
        return LocalizedAnswer(
            _with_contact(translated["answer"], entry, lang),
            translated["short_answer"] or translated["answer"],
            translated["question"] or entry.question,
            lang,
        )
    if entry.easy_ja:
        note = text("easy_note", lang)
        return LocalizedAnswer(
            f"{_with_contact(entry.easy_ja, entry, None)}\n\n{note}", entry.easy_ja,
            entry.question, "easy_ja", note,
        )
    note = text("japanese_note", lang)
    return LocalizedAnswer(
        f"{replies.answer_text(entry)}\n\n{note}", entry.short_answer or entry.answer,
        entry.question, JAPANESE, note,
    )


def localized_question(entry: Any, language: Optional[str]) -> str:
    lang = language_of(language)
    if lang == JAPANESE:
        return entry.question
    return entry.translation(lang)["question"] or entry.question


def localize_choices(buttons: Sequence[Dict[str, str]], entries: Sequence[Any],
                     language: Optional[str]) -> List[Dict[str, str]]:
    """The choice buttons (replies.choice_buttons) with titles in the resident's language."""
    if language_of(language) == JAPANESE:
        return list(buttons)
    out = []
    for item in buttons:
        entry = next((e for e in entries if f'"{e.id}"' in item["payload"]), None)
        if entry is not None:
            out.append({**item, "title": localized_question(entry, language)})
        elif item["payload"] == replies.NONE_OF_THESE["payload"]:
            out.append({**item, "title": text("none_of_these", language)})
        else:
            out.append(dict(item))
    return out
